/**
 * The internal CartService over gRPC, as checkout uses it: read the cart for a snapshot, then
 * remove exactly what the completed checkout took, once per checkout id.
 */
import * as grpc from '@grpc/grpc-js';
import { protos, type CartServiceClient } from '@shop/internal-grpc';
import type { GetCartResponse } from '@shop/internal-grpc/src/__generated__/shop/cart/v1/GetCartResponse';
import type { RemoveCheckedOutItemsResponse } from '@shop/internal-grpc/src/__generated__/shop/cart/v1/RemoveCheckedOutItemsResponse';
import { graphqlRequest, testToken, uniqueName } from '@shop/shared/src/testing';
import { CART_QUERY, startCartService, type CartData, type TestCartService } from './support';

let cart: TestCartService;
let client: CartServiceClient;

beforeAll(async () => {
  cart = await startCartService();
  client = new (protos.cart().CartService)(
    cart.grpcAddress,
    grpc.credentials.createInsecure(),
  ) as unknown as CartServiceClient;
});

afterAll(async () => {
  client.close();
  await cart.stopAndDrop();
});

const getCart = (userId: string) =>
  new Promise<GetCartResponse>((resolve, reject) =>
    client.GetCart({ userId }, (err, res) => (err || !res ? reject(err) : resolve(res))),
  );

const removeCheckedOut = (
  userId: string,
  checkoutId: string,
  lines: { productId: string; quantity: number }[],
) =>
  new Promise<RemoveCheckedOutItemsResponse>((resolve, reject) =>
    client.RemoveCheckedOutItems({ userId, checkoutId, lines }, (err, res) =>
      err || !res ? reject(err) : resolve(res),
    ),
  );

const pairs = (lines: { productId: string; quantity: number }[]) =>
  lines.map((l) => [l.productId, l.quantity]);

describe('CartService over gRPC', () => {
  it('GetCart returns the lines with when each was added; an unknown user has none', async () => {
    const userId = uniqueName('user');
    await cart.carts.addItem(userId, '1', 2);
    await cart.carts.addItem(userId, '2', 1);
    const res = await getCart(userId);
    expect(res.userId).toBe(userId);
    expect(pairs(res.lines)).toEqual([
      ['1', 2],
      ['2', 1],
    ]);
    expect(Number.isNaN(Date.parse(res.lines[0]!.addedAt))).toBe(false);
    expect((await getCart(uniqueName('nobody'))).lines).toEqual([]);
  });

  it('removes exactly what the checkout took; what the shopper added since stays', async () => {
    const userId = uniqueName('user');
    await cart.carts.addItem(userId, '1', 2);
    await cart.carts.addItem(userId, '2', 1);
    const snapshot = (await getCart(userId)).lines;
    // After the snapshot, the shopper adds more of product 1 and a new product 3.
    await cart.carts.addItem(userId, '1', 3);
    await cart.carts.addItem(userId, '3', 1);

    const res = await removeCheckedOut(userId, uniqueName('checkout'), snapshot);
    expect(res.applied).toBe(true);
    expect(pairs(res.remaining)).toEqual([
      ['1', 3],
      ['3', 1],
    ]);
  });

  it('is idempotent per checkout id: a duplicate call changes nothing and says so', async () => {
    const userId = uniqueName('user');
    const checkoutId = uniqueName('checkout');
    await cart.carts.addItem(userId, '1', 5);
    const first = await removeCheckedOut(userId, checkoutId, [{ productId: '1', quantity: 2 }]);
    await cart.carts.addItem(userId, '1', 1);
    const again = await removeCheckedOut(userId, checkoutId, [{ productId: '1', quantity: 2 }]);

    expect(first).toMatchObject({ applied: true });
    expect(pairs(first.remaining)).toEqual([['1', 3]]);
    expect(again.applied).toBe(false);
    expect(pairs(again.remaining)).toEqual([['1', 4]]);
    // A different checkout id is a different checkout.
    const other = await removeCheckedOut(userId, uniqueName('checkout'), [
      { productId: '1', quantity: 4 },
    ]);
    expect(other.applied).toBe(true);
    expect(other.remaining).toEqual([]);
  });

  it('concurrent duplicate deliveries of one checkout apply it once', async () => {
    const userId = uniqueName('user');
    const checkoutId = uniqueName('checkout');
    await cart.carts.addItem(userId, '1', 10);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        removeCheckedOut(userId, checkoutId, [{ productId: '1', quantity: 3 }]),
      ),
    );
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    expect(pairs((await getCart(userId)).lines)).toEqual([['1', 7]]);
  });

  it('the next GraphQL read shows the removal (the cache is updated on this path too)', async () => {
    const userId = uniqueName('user');
    const token = await testToken(userId);
    await cart.carts.addItem(userId, '1', 2);
    const before = await graphqlRequest<{ cart: CartData }>(cart.graphqlUrl, CART_QUERY, {}, token);
    expect(before.data?.cart.totalQuantity).toBe(2); // now cached
    await removeCheckedOut(userId, uniqueName('checkout'), [{ productId: '1', quantity: 2 }]);
    const after = await graphqlRequest<{ cart: CartData }>(cart.graphqlUrl, CART_QUERY, {}, token);
    expect(after.data?.cart).toMatchObject({ totalQuantity: 0, items: [] });
  });

  it('refuses a request without user, checkout id or with a non-positive quantity', async () => {
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'OK',
        (err: grpc.ServiceError) => err.code,
      );
    expect(await codeOf(getCart(''))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await codeOf(removeCheckedOut('u', '', []))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await codeOf(removeCheckedOut('u', 'c', [{ productId: '1', quantity: 0 }]))).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
  });
});
