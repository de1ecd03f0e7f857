/**
 * Redis is optional: stopping the real Redis mid-run must not fail or slow down a single
 * shopper request beyond the small Redis budget, and the cache must come back with Redis.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { graphqlRequest, testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import { cacheLookups, counterValue } from '../src/metrics';
import {
  CART_FIELDS,
  CART_QUERY,
  startCartService,
  type CartData,
  type TestCartService,
} from './support';

const infraScript = path.resolve(__dirname, '..', '..', '..', 'scripts', 'infra.sh');
const infra = (action: 'stop' | 'start') =>
  promisify(execFile)('bash', [infraScript, action, 'redis'], { timeout: 60_000 });

const UPDATE_QUANTITY = `${CART_FIELDS}
  mutation ($quantity: Int!) { updateCartItemQuantity(productId: "1", quantity: $quantity) { ...CartFields } }`;

let cart: TestCartService;

beforeAll(async () => {
  cart = await startCartService({}, { breakerResetMs: 300 });
});

afterAll(async () => {
  await cart.stopAndDrop();
});

it('carts keep working from MongoDB while Redis is stopped, and the cache returns with Redis', async () => {
  const userId = uniqueName('user');
  const token = await testToken(userId);
  await cart.carts.addItem(userId, '1', 1);
  const read = async () => {
    const res = await graphqlRequest<{ cart: CartData }>(cart.graphqlUrl, CART_QUERY, {}, token);
    expect(res.errors).toBeUndefined(); // a Redis failure is never the shopper's problem
    return res.data!.cart.items.map((i) => i.quantity);
  };
  expect(await read()).toEqual([1]);

  await infra('stop');
  try {
    for (let i = 0; i < 10; i++) expect(await read()).toEqual([1]);
    const written = await graphqlRequest<{ updateCartItemQuantity: CartData }>(
      cart.graphqlUrl,
      UPDATE_QUANTITY,
      { quantity: 4 },
      token,
    );
    expect(written.errors).toBeUndefined();
    for (let i = 0; i < 10; i++) expect(await read()).toEqual([4]);
    expect(await counterValue(cacheLookups, { result: 'bypass' })).toBeGreaterThan(0);
  } finally {
    await infra('start');
  }

  // The breaker closes again and reads are served from Redis: a hit shows it.
  await waitFor(
    async () => {
      const hits = await counterValue(cacheLookups, { result: 'hit' });
      expect(await read()).toEqual([4]);
      return (await counterValue(cacheLookups, { result: 'hit' })) > hits;
    },
    { what: 'cache hits after Redis restarted', timeoutMs: 20_000 },
  );
});
