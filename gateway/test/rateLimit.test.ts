import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { register } from 'prom-client';
import {
  createTokenVerifier,
  startSubgraphServer,
  type BaseContext,
  type RunningSubgraph,
} from '@shop/shared';
import { TEST_JWT_SECRET, testToken, uniqueName } from '@shop/shared/src/testing';
import type { RunningGateway } from '../src/service';
import {
  deadUrl,
  post,
  silentLogger,
  spawnGateway,
  startGateway,
  SupergraphFiles,
  type GatewayProcess,
  type GraphQLHttpResult,
} from './support';

/** Cost units per minute for each client; `{ ping }` costs 1, `mutation { checkout }` 10. */
const POINTS = 40;

const SHOP_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { ping: String! }
type Mutation { checkout: String! }
`;

/**
 * Budgets shared through one real Redis by two real gateway processes (nothing in common but
 * Redis and the key prefix), plus the in-process paths: trusted proxies and Redis down.
 */
describe('rate limits at the gateway', () => {
  const files = new SupergraphFiles();
  let subgraph: RunningSubgraph;
  let supergraph: string;
  const gateways: RunningGateway[] = [];
  /** Two processes on one fresh budget prefix; each test is its own client (X-Forwarded-For). */
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    subgraph = await startSubgraphServer({
      name: 'shop',
      port: 0,
      schema: buildSubgraphSchema({
        typeDefs: parse(SHOP_SDL),
        resolvers: { Query: { ping: () => 'pong' }, Mutation: { checkout: () => 'ok' } },
      }),
      logger: silentLogger,
      verifyToken: createTokenVerifier({ secret: TEST_JWT_SECRET }),
      context: (base: BaseContext) => base,
      readiness: {},
    });
    supergraph = files.write([{ name: 'shop', url: subgraph.url, sdl: SHOP_SDL }]);
    const shared = {
      SUPERGRAPH_PATH: supergraph,
      RATE_LIMIT_PREFIX: uniqueName('rl'),
      RATE_LIMIT_POINTS: String(POINTS),
      CHECKOUT_RATE_LIMIT_POINTS: '2',
      // The test is the proxy: each test speaks for its own client address.
      TRUSTED_PROXIES: 'loopback',
    };
    [a, b] = await Promise.all([spawnGateway(shared), spawnGateway(shared)]);
  }, 200_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const gw of gateways) await gw.stop();
    await subgraph?.stop();
    files.remove();
  });

  /** One in-process gateway on a fresh budget prefix. */
  async function inProcess(env: Record<string, string> = {}) {
    const gw = await startGateway({
      SUPERGRAPH_PATH: supergraph,
      RATE_LIMIT_PREFIX: uniqueName('rl'),
      RATE_LIMIT_POINTS: '4',
      ...env,
    });
    gateways.push(gw);
    return gw;
  }

  /** Spends `n` requests from one client, alternating between the two processes. */
  async function spend(n: number, query: string, headers: Record<string, string>) {
    for (let i = 0; i < n; i += 1) {
      const res = await post((i % 2 === 0 ? a : b).url, query, headers);
      expect(res.status).toBe(200);
    }
  }

  function expectRateLimited(res: GraphQLHttpResult): void {
    expect(res.status).toBe(429);
    const retryAfter = res.body.errors?.[0]?.extensions?.retryAfter;
    expect(res.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(retryAfter).toEqual(expect.any(Number));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  }

  it('shares one anonymous per-IP budget across two gateway processes', async () => {
    const client = { 'x-forwarded-for': '198.51.100.1' };
    await spend(POINTS, '{ ping }', client);
    expectRateLimited(await post(a.url, '{ ping }', client));
    expectRateLimited(await post(b.url, '{ ping }', client));
    // Another address still has its whole budget on either process.
    expect((await post(b.url, '{ ping }', { 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
  });

  it('gives a signed-in user their own budget, shared across gateway processes', async () => {
    const client = { 'x-forwarded-for': '198.51.100.3' };
    await spend(POINTS, '{ ping }', client);
    expectRateLimited(await post(b.url, '{ ping }', client)); // the IP's budget is spent
    const user = { ...client, authorization: `Bearer ${await testToken(uniqueName('rl-user'))}` };
    await spend(POINTS, '{ ping }', user);
    expectRateLimited(await post(a.url, '{ ping }', user));
    expectRateLimited(await post(b.url, '{ ping }', user));
  });

  it('holds checkout to its own tighter budget across gateway processes', async () => {
    const auth = {
      'x-forwarded-for': '198.51.100.4',
      authorization: `Bearer ${await testToken(uniqueName('rl-buyer'))}`,
    };
    expect((await post(a.url, 'mutation { checkout }', auth)).status).toBe(200);
    expect((await post(b.url, 'mutation { checkout }', auth)).status).toBe(200);
    const third = await post(a.url, 'mutation { checkout }', auth);
    expectRateLimited(third);
    expect(third.body.errors?.[0]?.message).toMatch(/checkout attempts/);
    expectRateLimited(await post(b.url, 'mutation { checkout }', auth));
    expect((await post(b.url, '{ ping }', auth)).status).toBe(200); // other operations go on
  });

  it('ignores X-Forwarded-For unless the peer is a trusted proxy', async () => {
    const gw = await inProcess();
    for (let i = 0; i < 4; i += 1) {
      const res = await post(gw.url, '{ ping }', { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.status).toBe(200);
    }
    expect((await post(gw.url, '{ ping }', { 'x-forwarded-for': '203.0.113.99' })).status).toBe(
      429,
    );

    const trusting = await inProcess({ TRUSTED_PROXIES: 'loopback' });
    for (let i = 0; i < 6; i += 1) {
      const res = await post(trusting.url, '{ ping }', { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.status).toBe(200); // each forwarded client has its own budget
    }
  });

  it('fails open when Redis is unreachable, and counts it', async () => {
    const dead = new URL(await deadUrl());
    const gw = await inProcess({ REDIS_URL: `redis://127.0.0.1:${dead.port}` });
    const metric = register.getSingleMetric('gateway_rate_limiter_unavailable_total');
    const before = ((await metric?.get())?.values[0]?.value as number | undefined) ?? 0;
    for (let i = 0; i < 6; i += 1) {
      const res = await post(gw.url, '{ ping }');
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ ping: 'pong' });
    }
    const after = ((await metric?.get())?.values[0]?.value as number | undefined) ?? 0;
    expect(after - before).toBeGreaterThanOrEqual(6);
  });
});
