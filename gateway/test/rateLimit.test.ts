import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
import type { ProductService } from '@shop/product-subgraph';
import type { RunningGateway } from '../src/service';
import {
  deadUrl,
  post,
  silentLogger,
  spawnGateway,
  startGateway,
  startProductService,
  SupergraphFiles,
  type GatewayProcess,
  type GraphQLHttpResult,
} from './support';

/** Cost units per minute for each client; `{ ping }` costs 1, `mutation { checkout }` 10. */
const POINTS = 40;

const PRODUCT_SDL = readFileSync(
  path.resolve(__dirname, '..', '..', 'subgraphs', 'product', 'schema.graphql'),
  'utf8',
);

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

  /**
   * Budgets are in cost units, not requests: with the real product subgraph beside the shop
   * one, a catalog page of 50 products with nested fields spends its estimated cost, `{ ping }`
   * one unit, from the same budget.
   */
  describe('charged in cost units', () => {
    const HEAVY = `{ products(first: 50) { totalCount edges { cursor node {
      id name price { amount currencyCode } category { id name } } } } }`;
    const CHEAP = '{ ping }';
    const dir = mkdtempSync(path.join(tmpdir(), 'gateway-rl-cost-'));
    let product: ProductService;
    let catalog: string;
    /** What demand control estimates for HEAVY, read from the gateway's own answer. */
    let heavyCost: number;
    /** HEAVY twice and five units to spare. */
    let points: number;
    let gw: RunningGateway;

    beforeAll(async () => {
      product = await startProductService(path.join(dir, 'product.db'));
      catalog = files.write([
        { name: 'shop', url: subgraph.url, sdl: SHOP_SDL },
        { name: 'product', url: product.graphqlUrl, sdl: PRODUCT_SDL },
      ]);
      const unlimited = await inProcess({ SUPERGRAPH_PATH: catalog, RATE_LIMIT_ENABLED: 'false' });
      const probe = await post(unlimited.url, HEAVY);
      expect(probe.body.errors).toBeUndefined();
      heavyCost = Number(
        (probe.body as { extensions?: { cost?: { estimated?: unknown } } }).extensions?.cost
          ?.estimated,
      );
      points = 2 * heavyCost + 5;
      gw = await inProcess({
        SUPERGRAPH_PATH: catalog,
        RATE_LIMIT_POINTS: String(points),
        TRUSTED_PROXIES: 'loopback',
      });
    });
    afterAll(async () => {
      await product?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('spends a heavy catalog page in fewer requests than cheap ones, per IP and per user', async () => {
      // Far above the one unit a cheap operation costs, and far below COST_MAX.
      expect(heavyCost).toBeGreaterThan(100);

      // One anonymous address: two pages, then only the five units left over.
      const a = { 'x-forwarded-for': '198.51.100.20' };
      for (let i = 0; i < 2; i += 1) {
        const page = await post(gw.url, HEAVY, a);
        expect(page.status).toBe(200);
        expect(page.body.data?.products).toMatchObject({ edges: expect.any(Array) });
      }
      for (let i = 0; i < 5; i += 1) expect((await post(gw.url, CHEAP, a)).status).toBe(200);
      expectRateLimited(await post(gw.url, CHEAP, a));
      expectRateLimited(await post(gw.url, HEAVY, a));

      // Another address spending only cheap operations gets `points` of them: the same budget
      // lasts ~heavyCost times as many requests.
      const b = { 'x-forwarded-for': '198.51.100.21' };
      for (let i = 0; i < points; i += 1) {
        const res = await post(gw.url, CHEAP, b);
        if (res.status !== 200)
          throw new Error(`cheap request ${i + 1} of ${points}: ${res.status}`);
      }
      expectRateLimited(await post(gw.url, CHEAP, b));

      // A signed-in user (from the spent address) pays from their own budget, in units too.
      const user = { ...a, authorization: `Bearer ${await testToken(uniqueName('rl-cost'))}` };
      expect((await post(gw.url, HEAVY, user)).status).toBe(200);
      expect((await post(gw.url, HEAVY, user)).status).toBe(200);
      const third = await post(gw.url, HEAVY, user);
      expectRateLimited(third);
      expect(third.body.data ?? null).toBeNull();
    }, 60_000);
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
