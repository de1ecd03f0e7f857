import type { RunningSubgraph } from '@shop/shared';
import type { RunningGateway } from '../src/service';
import {
  countingSubgraphProxy,
  post,
  startGateway,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
} from './support';

describe('operation limits at the gateway', () => {
  const files = new SupergraphFiles();
  let subgraph: RunningSubgraph;
  let proxy: Awaited<ReturnType<typeof countingSubgraphProxy>>;
  let gateway: RunningGateway;

  beforeAll(async () => {
    subgraph = await startWhoamiSubgraph();
    proxy = await countingSubgraphProxy(subgraph.url);
    gateway = await startGateway({
      SUPERGRAPH_PATH: files.write([{ name: 'whoami', url: proxy.url, sdl: WHOAMI_SDL }]),
      RATE_LIMIT_ENABLED: 'false',
      GATEWAY_MAX_DEPTH: '1',
      GATEWAY_MAX_NESTING: '5',
      GATEWAY_MAX_ALIASES: '3',
      GATEWAY_MAX_ROOT_FIELDS: '4',
      GATEWAY_MAX_TOKENS: '60',
      GATEWAY_MAX_DIRECTIVES: '2',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
    await subgraph?.stop();
    files.remove();
  });

  /** Posts `query` and expects a 400 with `code`, and that no subgraph was called. */
  async function expectRefused(query: string, code: string, message: RegExp) {
    const before = proxy.requests();
    const res = await post(gateway.url, query);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe(code);
    expect(res.body.errors?.[0]?.message).toMatch(message);
    expect(res.body.data).toBeUndefined();
    expect(proxy.requests()).toBe(before);
  }

  it('answers an operation within every limit', async () => {
    const res = await post(gateway.url, '{ a: ping b: ping }');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ a: 'pong', b: 'pong' });
  });

  it('refuses depth over the limit, counting through fragments', async () => {
    await expectRefused(
      '{ ...F } fragment F on Query { whoami { userId } }',
      'MAX_DEPTH_LIMIT',
      /nested 2 levels deep; the limit \(GATEWAY_MAX_DEPTH\) is 1/,
    );
  });

  it('refuses deeply nested inline fragments', async () => {
    const nested = '... on Query { '.repeat(6) + 'ping' + ' }'.repeat(6);
    await expectRefused(
      `{ ${nested} }`,
      'MAX_DEPTH_LIMIT',
      /7 levels deep.*GATEWAY_MAX_NESTING\) is 5/,
    );
  });

  it('refuses 300 nested inline fragments with the default limits', async () => {
    const gw = await startGateway({
      SUPERGRAPH_PATH: files.write([{ name: 'whoami', url: proxy.url, sdl: WHOAMI_SDL }]),
      RATE_LIMIT_ENABLED: 'false',
    });
    try {
      const nested = '... on Query { '.repeat(300) + 'ping' + ' }'.repeat(300);
      const before = proxy.requests();
      const res = await post(gw.url, `{ ${nested} }`);
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.extensions?.code).toMatch(/^MAX_(DEPTH|TOKENS)_LIMIT$/);
      expect(proxy.requests()).toBe(before);
    } finally {
      await gw.stop();
    }
  });

  it('refuses too many aliases, counting those in fragments', async () => {
    await expectRefused(
      '{ a: ping b: ping ...F } fragment F on Query { c: ping d: ping }',
      'MAX_ALIASES_LIMIT',
      /uses aliases 4 times; the limit \(GATEWAY_MAX_ALIASES\) is 3/,
    );
  });

  it('refuses too many root fields', async () => {
    await expectRefused(
      '{ ping ping ping ping ping }',
      'MAX_ROOT_FIELDS_LIMIT',
      /selects root fields 5 times; the limit \(GATEWAY_MAX_ROOT_FIELDS\) is 4/,
    );
  });

  it('refuses too many directives', async () => {
    await expectRefused(
      '{ ping @include(if: true) ping @skip(if: false) ping @include(if: true) }',
      'MAX_DIRECTIVES_LIMIT',
      /uses directives 3 times; the limit \(GATEWAY_MAX_DIRECTIVES\) is 2/,
    );
  });

  it('refuses too many tokens', async () => {
    await expectRefused(
      `{ whoami { ${'userId '.repeat(60)} } }`,
      'MAX_TOKENS_LIMIT',
      /more than 60 tokens, the limit \(GATEWAY_MAX_TOKENS\)/,
    );
  });
});
