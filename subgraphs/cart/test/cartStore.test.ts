/**
 * Carts in MongoDB (FerretDB here): concurrent changes from several service instances, the
 * limits under concurrency, expiry and its sweep.
 */
import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import { graphqlRequest, infra, testToken, uniqueName } from '@shop/shared/src/testing';
import { cacheKey } from '../src/data/cartCache';
import { CART_COLLECTION, type CartRecord } from '../src/data/cartStore';
import { CART_RETENTION_MS, MAX_DISTINCT_ITEMS } from '../src/domain/cart';
import { CART_QUERY, startCartService, type CartData, type TestCartService } from './support';

let first: TestCartService;
let second: TestCartService;
let redis: Redis;

beforeAll(async () => {
  first = await startCartService();
  // A second instance on the same database: another process, as far as the carts can tell.
  second = await startCartService({ MONGO_URL: `${infra.mongoUrl}/${first.dbName}` });
  redis = new Redis(infra.redisUrl);
});

afterAll(async () => {
  redis.disconnect();
  await second.stop();
  await first.stopAndDrop();
});

const versions = () => first.mongoClient.db().collection<CartRecord>(CART_COLLECTION);

function ruleOf(err: unknown) {
  return err instanceof GraphQLError ? err.extensions.rule : err;
}

describe('cart store (FerretDB)', () => {
  it('20 concurrent adds of one product spread over two instances add 20', async () => {
    const userId = uniqueName('user');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? first : second).carts.addItem(userId, '7', 1)),
    );
    const cart = await first.carts.readFromStore(userId);
    expect(cart.lines.map((l) => [l.productId, l.quantity])).toEqual([['7', 20]]);
    expect(cart.version).toBe(20);
  });

  it('concurrent adds of different products all land, each on its own line', async () => {
    const userId = uniqueName('user');
    const ids = Array.from({ length: 12 }, (_, i) => String(i + 1));
    await Promise.all(ids.map((id, i) => (i % 2 ? first : second).carts.addItem(userId, id, 2)));
    const cart = await first.carts.readFromStore(userId);
    expect(cart.lines.map((l) => l.productId).sort()).toEqual([...ids].sort());
    expect(cart.lines.every((l) => l.quantity === 2)).toBe(true);
  });

  it('the 99-per-line limit holds under concurrency: exactly the adds that fit succeed', async () => {
    const userId = uniqueName('user');
    await first.carts.addItem(userId, '1', 90);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? first : second).carts.addItem(userId, '1', 3)),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(refused.map((r) => ruleOf((r as PromiseRejectedResult).reason))).toEqual(
      Array(3).fill('QUANTITY_RANGE'),
    );
    expect((await first.carts.readFromStore(userId)).lines[0]?.quantity).toBe(99);
  });

  it('the 50-distinct-products limit holds under concurrency', async () => {
    const userId = uniqueName('user');
    for (let i = 0; i < MAX_DISTINCT_ITEMS - 2; i++) await first.carts.addItem(userId, `p${i}`, 1);
    const results = await Promise.allSettled(
      ['x1', 'x2', 'x3', 'x4'].map((id, i) =>
        (i % 2 ? first : second).carts.addItem(userId, id, 1),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(
      results
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => ruleOf(r.reason)),
    ).toEqual(['MAX_DISTINCT_ITEMS', 'MAX_DISTINCT_ITEMS']);
    expect((await first.carts.readFromStore(userId)).lines).toHaveLength(MAX_DISTINCT_ITEMS);
  });

  it('keeps only the newest versions of a cart', async () => {
    const userId = uniqueName('user');
    for (let i = 0; i < 5; i++) await first.carts.addItem(userId, '1', 1);
    const kept = await versions().find({ userId }).toArray();
    expect(kept.map((v) => v.version).sort()).toEqual([4, 5]);
  });

  it('a cart untouched for 90 days reads as empty, is not cached, and starts afresh', async () => {
    const userId = uniqueName('user');
    const token = await testToken(userId);
    const longAgo = new Date(Date.now() - CART_RETENTION_MS - 60_000);
    await versions().insertOne({
      userId,
      version: 3,
      items: [{ productId: '1', quantity: 4, addedAt: longAgo }],
      createdAt: longAgo,
      updatedAt: longAgo,
      appliedCheckouts: [],
    });

    const res = await graphqlRequest<{ cart: CartData }>(first.graphqlUrl, CART_QUERY, {}, token);
    expect(res.data?.cart).toMatchObject({ totalQuantity: 0, items: [], updatedAt: null });
    expect(await redis.exists(cacheKey(userId))).toBe(0);

    const after = await first.carts.addItem(userId, '2', 1);
    expect(after.lines.map((l) => [l.productId, l.quantity])).toEqual([['2', 1]]);
    expect(after.version).toBe(4); // versions keep counting, so the cache orders them right
  });

  it('expired carts are deleted: TTL index on MongoDB, the sweep where there is none', async () => {
    // FerretDB refuses TTL indexes; the service notices and sweeps instead.
    expect(first.expiry).toBe('sweep');
    const expiredUser = uniqueName('user');
    const liveUser = uniqueName('user');
    const longAgo = new Date(Date.now() - CART_RETENTION_MS - 1000);
    await versions().insertMany([
      {
        userId: expiredUser,
        version: 1,
        items: [],
        createdAt: longAgo,
        updatedAt: longAgo,
        appliedCheckouts: [],
      },
      {
        userId: expiredUser,
        version: 2,
        items: [],
        createdAt: longAgo,
        updatedAt: longAgo,
        appliedCheckouts: [],
      },
    ]);
    await first.carts.addItem(liveUser, '1', 1);

    expect(await first.sweepExpired()).toBeGreaterThanOrEqual(2);
    expect(await versions().countDocuments({ userId: expiredUser })).toBe(0);
    expect(await versions().countDocuments({ userId: liveUser })).toBe(1);
  });
});
