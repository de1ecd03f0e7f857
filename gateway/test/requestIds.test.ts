/**
 * Request ids and the access line, at an in-process gateway in front of a real subgraph: the
 * X-Request-Id the caller gets back, the one the subgraph is sent, and what the one access line
 * per operation says. (The same line's trace_id and span_id need the OpenTelemetry SDK loaded
 * before pino, so test/e2e/observability.test.ts checks those on the real processes.)
 */
import { createLogger, type RunningSubgraph } from '@shop/shared';
import { testToken } from '@shop/shared/src/testing';
import type { RunningGateway } from '../src/service';
import {
  countingSubgraphProxy,
  post,
  startGateway,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
} from './support';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids and the access line at the gateway', () => {
  const files = new SupergraphFiles();
  /** Every line the gateway logged, parsed. */
  const lines: Record<string, unknown>[] = [];
  let subgraph: RunningSubgraph;
  let proxy: Awaited<ReturnType<typeof countingSubgraphProxy>>;
  let gateway: RunningGateway;

  beforeAll(async () => {
    subgraph = await startWhoamiSubgraph();
    proxy = await countingSubgraphProxy(subgraph.url);
    const supergraph = files.write([{ name: 'product', url: proxy.url, sdl: WHOAMI_SDL }]);
    const logger = createLogger('gateway', 'info', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    gateway = await startGateway({ SUPERGRAPH_PATH: supergraph }, logger);
  });
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
    await subgraph?.stop();
    files.remove();
  });

  /** The access line of the request with this id (written before the response is sent). */
  const accessLineOf = (requestId: string | null) => {
    const found = lines.filter((l) => l.component === 'access' && l.request_id === requestId);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  /** The X-Request-Id of the last request the subgraph was sent. */
  const forwardedId = () => proxy.headers().at(-1)?.['x-request-id'];

  it('gives a request without X-Request-Id a new one, returns it and sends it to the subgraph', async () => {
    const result = await post(gateway.url, '{ ping }');
    expect(result.status).toBe(200);
    const requestId = result.headers.get('x-request-id');
    expect(requestId).toMatch(UUID);
    expect(forwardedId()).toBe(requestId);
    const again = await post(gateway.url, '{ ping }');
    expect(again.headers.get('x-request-id')).toMatch(UUID);
    expect(again.headers.get('x-request-id')).not.toBe(requestId);
  });

  it('echoes and forwards a plain X-Request-Id, and replaces one that is not plain', async () => {
    const plain = 'client-42.retry:1';
    const echoed = await post(gateway.url, '{ ping }', { 'x-request-id': plain });
    expect(echoed.headers.get('x-request-id')).toBe(plain);
    expect(forwardedId()).toBe(plain);

    // It ends up in headers and log lines as given, so anything odd or long is not kept.
    for (const unusable of ['two words', 'x'.repeat(129), 'a<b>']) {
      const replaced = await post(gateway.url, '{ ping }', { 'x-request-id': unusable });
      const requestId = replaced.headers.get('x-request-id');
      expect(requestId).toMatch(UUID);
      expect(forwardedId()).toBe(requestId);
      expect(JSON.stringify(lines)).not.toContain(unusable);
    }
  });

  it('writes one access line per operation: request and user ids, name, type, duration, outcome and cost', async () => {
    const token = await testToken('user-access-1');
    const signedIn = await post(gateway.url, 'query WhoAmI { whoami { userId } }', {
      authorization: `Bearer ${token}`,
      'x-request-id': 'access-signed-in',
    });
    expect(signedIn.body.errors).toBeUndefined();
    const cost = (signedIn.body as { extensions?: { cost?: unknown } }).extensions?.cost;
    expect(cost).toEqual({ estimated: expect.any(Number), max: expect.any(Number) });
    const line = accessLineOf('access-signed-in');
    expect(line).toEqual(
      expect.objectContaining({
        level: 30,
        service: 'gateway',
        component: 'access',
        msg: 'graphql operation',
        request_id: 'access-signed-in',
        user_id: 'user-access-1',
        operation: { name: 'WhoAmI', type: 'query' },
        duration_ms: expect.any(Number),
        outcome: 'ok',
        cost,
      }),
    );
    expect(JSON.stringify(line)).not.toContain(token);

    // Not signed in: no user_id, and the outcome is the code the client was told.
    const anonymous = await post(gateway.url, 'query WhoAmI { whoami { userId } }', {
      'x-request-id': 'access-anonymous',
    });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const refused = accessLineOf('access-anonymous');
    expect(refused).toMatchObject({
      operation: { name: 'WhoAmI', type: 'query' },
      outcome: 'UNAUTHENTICATED',
    });
    expect(refused).not.toHaveProperty('user_id');

    // An unnamed operation is "anonymous"; a generated id is on the line as it was returned.
    const unnamed = await post(gateway.url, '{ ping }');
    expect(accessLineOf(unnamed.headers.get('x-request-id'))).toMatchObject({
      operation: { name: 'anonymous', type: 'query' },
      outcome: 'ok',
    });
  });
});
