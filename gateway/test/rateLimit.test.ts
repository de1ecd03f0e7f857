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
import { deadUrl, post, silentLogger, startGateway, SupergraphFiles } from './support';

const SHOP_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { ping: String! }
type Mutation { checkout: String! }
`;

/** Budgets shared through one real Redis by two gateway instances. */
describe('rate limits at the gateway', () => {
  const files = new SupergraphFiles();
  let subgraph: RunningSubgraph;
  let supergraph: string;
  const gateways: RunningGateway[] = [];

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
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
    await subgraph?.stop();
    files.remove();
  });

  /** Two gateways on one fresh budget prefix. */
  async function pair(env: Record<string, string> = {}) {
    const shared = {
      SUPERGRAPH_PATH: supergraph,
      RATE_LIMIT_PREFIX: uniqueName('rl'),
      RATE_LIMIT_POINTS: '4',
      CHECKOUT_RATE_LIMIT_POINTS: '2',
      ...env,
    };
    const a = await startGateway(shared);
    const b = await startGateway(shared);
    gateways.push(a, b);
    return [a, b] as const;
  }

  it('shares one anonymous per-IP budget across two gateways, then answers 429 with Retry-After', async () => {
    const [a, b] = await pair();
    for (const gw of [a, b, a, b]) {
      const ok = await post(gw.url, '{ ping }');
      expect(ok.status).toBe(200);
    }
    const refused = await post(a.url, '{ ping }');
    expect(refused.status).toBe(429);
    const retryAfter = refused.body.errors?.[0]?.extensions?.retryAfter;
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(retryAfter).toEqual(expect.any(Number));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
  });

  it('gives a signed-in user their own budget, shared across gateways', async () => {
    const [a, b] = await pair();
    for (let i = 0; i < 4; i += 1) expect((await post(a.url, '{ ping }')).status).toBe(200);
    expect((await post(b.url, '{ ping }')).status).toBe(429); // the IP's budget is spent
    const auth = { authorization: `Bearer ${await testToken('rl-user')}` };
    for (const gw of [a, b, a, b]) expect((await post(gw.url, '{ ping }', auth)).status).toBe(200);
    expect((await post(b.url, '{ ping }', auth)).status).toBe(429);
  });

  it('holds checkout to its own tighter budget across gateways', async () => {
    const [a, b] = await pair({ RATE_LIMIT_POINTS: '1000' });
    const auth = { authorization: `Bearer ${await testToken('rl-buyer')}` };
    expect((await post(a.url, 'mutation { checkout }', auth)).status).toBe(200);
    expect((await post(b.url, 'mutation { checkout }', auth)).status).toBe(200);
    const third = await post(a.url, 'mutation { checkout }', auth);
    expect(third.status).toBe(429);
    expect(third.body.errors?.[0]?.message).toMatch(/checkout attempts/);
    expect((await post(b.url, '{ ping }', auth)).status).toBe(200); // other operations go on
  });

  it('ignores X-Forwarded-For unless the peer is a trusted proxy', async () => {
    const [a] = await pair();
    for (let i = 0; i < 4; i += 1) {
      const res = await post(a.url, '{ ping }', { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.status).toBe(200);
    }
    expect((await post(a.url, '{ ping }', { 'x-forwarded-for': '203.0.113.99' })).status).toBe(429);

    const [trusting] = await pair({ TRUSTED_PROXIES: 'loopback' });
    for (let i = 0; i < 6; i += 1) {
      const res = await post(trusting.url, '{ ping }', { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.status).toBe(200); // each forwarded client has its own budget
    }
  });

  it('fails open when Redis is unreachable, and counts it', async () => {
    const dead = new URL(await deadUrl());
    const [a] = await pair({ REDIS_URL: `redis://127.0.0.1:${dead.port}` });
    const metric = register.getSingleMetric('gateway_rate_limiter_unavailable_total');
    const before = ((await metric?.get())?.values[0]?.value as number | undefined) ?? 0;
    for (let i = 0; i < 6; i += 1) {
      const res = await post(a.url, '{ ping }');
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ ping: 'pong' });
    }
    const after = ((await metric?.get())?.values[0]?.value as number | undefined) ?? 0;
    expect(after - before).toBeGreaterThanOrEqual(6);
  });
});
