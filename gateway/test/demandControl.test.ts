import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ProductService } from '@shop/product-subgraph';
import type { RunningGateway } from '../src/service';
import { countingSubgraphProxy, post, startGateway, startProductService } from './support';

/** Demand control through the committed supergraph with the real product service. */
describe('demand control through the gateway', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-cost-'));
  let product: ProductService;
  let proxy: Awaited<ReturnType<typeof countingSubgraphProxy>>;
  const gateways: RunningGateway[] = [];

  const FIRST_FIVE = `{ products(first: 5) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id name price { amount currencyCode } } } } }`;

  beforeAll(async () => {
    product = await startProductService(path.join(dir, 'product.db'));
    proxy = await countingSubgraphProxy(product.graphqlUrl);
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
    await proxy?.close();
    await product?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function gateway(env: Record<string, string>) {
    const gw = await startGateway({
      PRODUCT_SUBGRAPH_URL: proxy.url,
      RATE_LIMIT_ENABLED: 'false',
      ...env,
    });
    gateways.push(gw);
    return gw;
  }

  it('reports the estimate in the response extensions and in /metrics', async () => {
    const gw = await gateway({ COST_MAX: '17' });
    const res = await post(gw.url, FIRST_FIVE);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect((res.body as { extensions?: unknown }).extensions).toEqual({
      cost: { estimated: 17, max: 17 },
    });
    const metrics = await (await fetch(new URL('/metrics', gw.url))).text();
    expect(metrics).toMatch(/gateway_operation_estimated_cost_count \d+/);
  });

  it('refuses an operation above COST_MAX with the estimate and the limit, before any subgraph call', async () => {
    const gw = await gateway({ COST_MAX: '16' });
    const before = proxy.requests();
    const res = await post(gw.url, FIRST_FIVE);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'COST_ESTIMATED_TOO_EXPENSIVE',
      'cost.estimated': 17,
      'cost.max': 16,
    });
    expect(res.body.errors?.[0]?.message).toMatch(
      /estimated cost is 17; the limit \(COST_MAX\) is 16/,
    );
    expect(proxy.requests()).toBe(before);
  });

  it('counts the product fields of the cart page in its _entities fetch, per cart item', async () => {
    // Plan-level: cart fetch cart 1 + 10 items × (item 1 + product key 1) = 21, plus the
    // product _entities fetch: 10 representations × (Product 1 + price 1) = 20; total 41.
    // The operation-level figure was 31, which a COST_MAX of 40 let through.
    const gw = await gateway({ COST_MAX: '40' });
    const before = proxy.requests();
    const res = await post(
      gw.url,
      '{ cart { items { quantity product { name price { amount } } } } }',
    );
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'COST_ESTIMATED_TOO_EXPENSIVE',
      'cost.estimated': 41,
      'cost.max': 40,
    });
    expect(proxy.requests()).toBe(before);
  });

  it('refuses the two-thousand-alias products(first: 100) flood with the default limits', async () => {
    const gw = await gateway({});
    const flood = Array.from(
      { length: 2000 },
      (_, i) => `a${i}: products(first: 100) { totalCount }`,
    );
    const res = await post(gw.url, `{ ${flood.join(' ')} }`);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toMatch(/^MAX_(TOKENS|ALIASES)_LIMIT$/);
  });
});
