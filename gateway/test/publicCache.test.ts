import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type ProductService } from '@shop/product-subgraph';
import type { RunningSubgraph } from '@shop/shared';
import { testToken } from '@shop/shared/src/testing';
import type { RunningGateway } from '../src/service';
import {
  countingSubgraphProxy,
  post,
  startGateway,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
  startProductService,
} from './support';

const TTL_MS = 2000;
const PRICE = '{ product(id: "5") { id price { amount } } }';
const priceOf = (result: Awaited<ReturnType<typeof post>>) =>
  (result.body.data as { product: { price: { amount: string } } }).product.price.amount;

/** The public response cache (gateway/src/performance/publicResponseCache.ts) in front of the real catalog. */
describe('public catalog cache', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-public-cache-'));
  const dbFile = path.join(dir, 'product.db');
  let product: ProductService;
  let proxy: Awaited<ReturnType<typeof countingSubgraphProxy>>;
  let gateway: RunningGateway;

  beforeAll(async () => {
    product = await startProductService(dbFile);
    proxy = await countingSubgraphProxy(product.graphqlUrl);
    gateway = await startGateway({
      PRODUCT_SUBGRAPH_URL: proxy.url,
      PUBLIC_CACHE_SUBGRAPHS: 'product',
      PUBLIC_CACHE_TTL_MS: String(TTL_MS),
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
    await product?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('identical catalog requests, from different callers, make one subgraph call per TTL', async () => {
    const before = proxy.requests();
    const tokens = await Promise.all(['a', 'b', 'c'].map((u) => testToken(`cache-${u}`)));
    const query = '{ products(first: 3) { edges { node { id name price { amount } } } } }';
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        post(gateway.url, query, i % 3 === 0 ? {} : { authorization: `Bearer ${tokens[i % 3]}` }),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual(results[0]!.body);
    }
    expect(proxy.requests() - before).toBe(1);
  });

  it('a price changed in the catalog shows through the gateway within the TTL', async () => {
    const old = priceOf(await post(gateway.url, PRICE));
    const writer = new Database(dbFile);
    try {
      writer.prepare('UPDATE products SET price_cents = price_cents + 100 WHERE id = 5').run();
    } finally {
      writer.close();
    }
    const changedAt = Date.now();
    let seen = old;
    while (seen === old && Date.now() - changedAt < TTL_MS + 2000) {
      seen = priceOf(await post(gateway.url, PRICE));
      if (seen === old) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(Number(seen)).toBeCloseTo(Number(old) + 1, 2);
    // TTL plus the slack of one request on a busy machine.
    expect(Date.now() - changedAt).toBeLessThan(TTL_MS + 1000);
  });

  // gateway/src/performance/anonymousResponseCache.ts: whole answers for signed-out callers.
  it('answers a repeated anonymous page whole from memory (an `age` header, no subgraph call)', async () => {
    const query = '{ products(first: 4) { edges { node { id name price { amount } } } } }';
    const first = await post(gateway.url, query);
    const before = proxy.requests();
    const again = await post(gateway.url, query);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    expect(again.headers.get('age')).not.toBeNull();
    expect(proxy.requests()).toBe(before);
    // Still charged and scored at the edge: the answer carries its estimated cost.
    expect((again.body as { extensions?: unknown }).extensions).toHaveProperty('cost');
  });

  it('never answers a signed-in or guest-cart caller from it', async () => {
    const query = '{ products(first: 5) { edges { node { id name } } } }';
    await post(gateway.url, query); // stored for anonymous callers
    const token = await testToken('cache-signed-in');
    const callers: Record<string, string>[] = [
      { authorization: `Bearer ${token}` },
      { 'x-cart-token': 'a'.repeat(43) },
    ];
    for (const headers of callers) {
      const res = await post(gateway.url, query, headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('age')).toBeNull();
    }
  });
});

describe('the public cache never shares a per-user answer', () => {
  const files = new SupergraphFiles();
  let subgraph: RunningSubgraph;
  let gateway: RunningGateway;

  beforeAll(async () => {
    // A per-user subgraph wrongly listed as public: the worst case for the cache.
    subgraph = await startWhoamiSubgraph();
    const supergraph = files.write([{ name: 'product', url: subgraph.url, sdl: WHOAMI_SDL }]);
    gateway = await startGateway({
      SUPERGRAPH_PATH: supergraph,
      PUBLIC_CACHE_SUBGRAPHS: 'product',
      PUBLIC_CACHE_TTL_MS: '5000',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraph?.stop();
    files.remove();
  });

  it('a listed subgraph is asked anonymously: nobody ever sees another user', async () => {
    const [alice, bob] = await Promise.all([testToken('alice-pc'), testToken('bob-pc')]);
    const query = '{ ping whoami { userId } }';
    const results = await Promise.all([
      post(gateway.url, query, { authorization: `Bearer ${alice}` }),
      post(gateway.url, query, { authorization: `Bearer ${bob}` }),
    ]);
    results.push(await post(gateway.url, query, { authorization: `Bearer ${bob}` }));
    for (const r of results) {
      expect(JSON.stringify(r.body)).not.toMatch(/alice-pc|bob-pc/);
      expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    expect((await post(gateway.url, '{ ping }')).body.data).toEqual({ ping: 'pong' });
  });
});
