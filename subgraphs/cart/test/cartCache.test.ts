/**
 * The cart cache against the real servers (FerretDB for MongoDB, Redis): cache-aside with
 * singleflight, read-your-writes under a racing slow read, a full Redis, TTLs and metrics.
 */
import type { CommandStartedEvent } from 'mongodb';
import { Redis } from 'ioredis';
import { graphqlRequest, infra, testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import { cacheKey, RedisCartCache } from '../src/data/cartCache';
import { CART_COLLECTION, type CartRecord } from '../src/data/cartStore';
import { CART_RETENTION_MS, type Cart } from '../src/domain/cart';
import { cacheLookups, counterValue } from '../src/metrics';
import {
  CART_FIELDS,
  CART_QUERY,
  latch,
  startCartService,
  type CartData,
  type TestCartService,
} from './support';

const UPDATE_QUANTITY = `${CART_FIELDS}
  mutation ($productId: ID!, $quantity: Int!) {
    updateCartItemQuantity(productId: $productId, quantity: $quantity) { ...CartFields }
  }`;

/** Test-controlled hooks: hold a read between its MongoDB read and its cache fill. */
const hooks = {
  reads: 0,
  hold: undefined as ReturnType<typeof latch> | undefined,
};

let cart: TestCartService;
let redis: Redis;
const finds: CommandStartedEvent[] = [];

beforeAll(async () => {
  cart = await startCartService(
    {},
    {
      monitorCommands: true,
      hooks: {
        onRead: () => void hooks.reads++,
        beforeCacheFill: async () => {
          await hooks.hold?.wait();
        },
      },
    },
  );
  cart.mongoClient.on('commandStarted', (event) => {
    if (event.commandName === 'find' && event.command.find === CART_COLLECTION) finds.push(event);
  });
  redis = new Redis(infra.redisUrl);
});

afterAll(async () => {
  redis.disconnect();
  await cart.stopAndDrop();
});

beforeEach(() => {
  hooks.reads = 0;
  hooks.hold = undefined;
  finds.length = 0;
});

async function readCart(token: string): Promise<CartData> {
  const res = await graphqlRequest<{ cart: CartData }>(cart.graphqlUrl, CART_QUERY, {}, token);
  expect(res.errors).toBeUndefined();
  return res.data!.cart;
}

async function newUser() {
  const userId = uniqueName('user');
  return { userId, token: await testToken(userId) };
}

const quantities = (c: CartData) => c.items.map((i) => [i.product.id, i.quantity]);

describe('cart cache (FerretDB + Redis)', () => {
  it('concurrent reads of a cold cart make one MongoDB read (singleflight)', async () => {
    const { userId, token } = await newUser();
    await cart.carts.addItem(userId, '1', 2);
    await redis.del(cacheKey(userId)); // cold: the next read misses
    finds.length = 0;

    // Hold the first read's flight until all 30 requests have asked for the cart, so they
    // are concurrent by construction rather than by timing.
    const gate = latch();
    hooks.hold = gate;
    const reads = Array.from({ length: 30 }, () => readCart(token));
    await gate.reached;
    await waitFor(() => hooks.reads >= 30, { what: '30 reads to arrive' });
    gate.open();
    const carts = await Promise.all(reads);

    expect(carts.map(quantities)).toEqual(Array(30).fill([['1', 2]]));
    expect(finds.length).toBe(1);
    // ...and the filled cache serves the next read without MongoDB.
    await readCart(token);
    expect(finds.length).toBe(1);
  });

  it('a slow read that started before a write cannot put the old cart back (read-your-writes)', async () => {
    const { userId, token } = await newUser();
    await cart.carts.addItem(userId, '1', 1); // version 1
    await redis.del(cacheKey(userId));

    const gate = latch();
    hooks.hold = gate;
    const slowRead = readCart(token); // reads version 1 from MongoDB, then waits at the gate
    await gate.reached;
    hooks.hold = undefined;

    const written = await graphqlRequest<{ updateCartItemQuantity: CartData }>(
      cart.graphqlUrl,
      UPDATE_QUANTITY,
      { productId: '1', quantity: 5 },
      token,
    );
    expect(written.data?.updateCartItemQuantity.items[0]?.quantity).toBe(5);

    // A read after the write returned: it must not join the slow read's flight.
    expect(quantities(await readCart(token))).toEqual([['1', 5]]);

    gate.open();
    // The slow read started before the write, so it may answer the old cart...
    expect(quantities(await slowRead)).toEqual([['1', 1]]);
    // ...but its cache fill was refused as older: no later read sees version 1 again.
    expect(await redis.hget(cacheKey(userId), 'v')).toBe('2');
    expect(quantities(await readCart(token))).toEqual([['1', 5]]);
    expect(finds.length).toBeGreaterThan(0);
  });

  it('a full Redis (writes refused) never serves the cart from before a write', async () => {
    const { userId, token } = await newUser();
    await cart.carts.addItem(userId, '1', 1);
    expect(quantities(await readCart(token))).toEqual([['1', 1]]); // cached, version 1
    const cache = cart.cache as RedisCartCache;

    const [, maxmemory] = (await redis.config('GET', 'maxmemory')) as string[];
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as string[];
    try {
      // Every write now fails with OOM while reads still answer: the cached version 1 stays.
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
      await redis.config('SET', 'maxmemory', '1');
      const written = await graphqlRequest<{ updateCartItemQuantity: CartData }>(
        cart.graphqlUrl,
        UPDATE_QUANTITY,
        { productId: '1', quantity: 7 },
        token,
      );
      expect(written.errors).toBeUndefined();
      expect(cache.pendingRepairs).toBeGreaterThan(0);
      expect(await redis.hget(cacheKey(userId), 'v')).toBe('1'); // the stale entry is there
      expect(quantities(await readCart(token))).toEqual([['1', 7]]); // but is not served
    } finally {
      await redis.config('SET', 'maxmemory', maxmemory ?? '0');
      await redis.config('SET', 'maxmemory-policy', policy ?? 'noeviction');
    }
    // Once Redis takes writes again, the repair tombstones the key and the cache is used again.
    await waitFor(() => cache.pendingRepairs === 0, { what: 'the cache repair' });
    expect(await redis.hget(cacheKey(userId), 'd')).toBeNull();
    expect(quantities(await readCart(token))).toEqual([['1', 7]]);
    const hitsBefore = await counterValue(cacheLookups, { result: 'hit' });
    expect(quantities(await readCart(token))).toEqual([['1', 7]]);
    expect(await counterValue(cacheLookups, { result: 'hit' })).toBe(hitsBefore + 1);
  });

  it('the cache refuses a cart older than the one it holds, whoever writes it', async () => {
    const userId = uniqueName('user');
    const cache = cart.cache;
    const at = (version: number, quantity: number): Cart => ({
      userId,
      version,
      lines: [{ productId: '1', quantity, addedAt: new Date() }],
      updatedAt: new Date(),
    });
    await cache.store(at(3, 3));
    await cache.fill(at(2, 2));
    await cache.store(at(1, 1));
    const lookup = await cache.get(userId);
    expect(lookup.status === 'hit' && lookup.cart.version).toBe(3);
    await cache.fill(at(4, 4));
    const later = await cache.get(userId);
    expect(later.status === 'hit' && later.cart.lines[0]?.quantity).toBe(4);
  });

  it("cache entries live 15 to 20 minutes, and never past the cart's own expiry", async () => {
    const fresh = await newUser();
    await cart.carts.addItem(fresh.userId, '1', 1);
    const ttl = await redis.pttl(cacheKey(fresh.userId));
    expect(ttl).toBeGreaterThan(15 * 60_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(20 * 60_000);

    // A cart last changed 90 days minus 30 seconds ago expires in 30 seconds.
    const old = await newUser();
    const updatedAt = new Date(Date.now() - CART_RETENTION_MS + 30_000);
    await cart.mongoClient
      .db()
      .collection<CartRecord>(CART_COLLECTION)
      .insertOne({
        userId: old.userId,
        version: 1,
        items: [{ productId: '1', quantity: 1, addedAt: updatedAt }],
        createdAt: updatedAt,
        updatedAt,
        appliedCheckouts: [],
      });
    await readCart(old.token);
    const oldTtl = await redis.pttl(cacheKey(old.userId));
    expect(oldTtl).toBeGreaterThan(0);
    expect(oldTtl).toBeLessThanOrEqual(30_000);
  });

  it('counts cache hits and misses in cart_cache_lookups_total, shown on /metrics', async () => {
    const { userId, token } = await newUser();
    await cart.carts.addItem(userId, '1', 1);
    await redis.del(cacheKey(userId));
    const misses = await counterValue(cacheLookups, { result: 'miss' });
    const hits = await counterValue(cacheLookups, { result: 'hit' });
    await readCart(token); // miss, fills
    await readCart(token); // hit
    await readCart(token); // hit
    expect(await counterValue(cacheLookups, { result: 'miss' })).toBe(misses + 1);
    expect(await counterValue(cacheLookups, { result: 'hit' })).toBe(hits + 2);
    const metrics = await (await fetch(new URL('/metrics', cart.graphqlUrl))).text();
    expect(metrics).toMatch(/cart_cache_lookups_total\{result="hit"\} \d+/);
  });
});
