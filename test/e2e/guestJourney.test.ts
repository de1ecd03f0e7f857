/**
 * A shopper's journey without an account first, end to end through the gateway against every
 * service as a real process: browse a category, fill a guest cart, find that checkout, orders
 * and subscriptions need an account, sign in, merge the guest cart, check out and see the stock
 * go down, cancel, and see the refund and the stock come back (issue 12's journey).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Kafka } from 'kafkajs';
import { testToken, uniqueName } from '@shop/shared/src/testing';
import { SERVICE_NAMES, startPlatform, type Platform } from './platform';
import {
  address,
  CATEGORIES,
  CHECKOUT,
  CREATE_GUEST_CART,
  e2eKafka,
  FIND_PRODUCTS,
  MERGE_GUEST_CART,
  ORDERS,
  shopper,
  type Shopper,
} from './shopper';
import { stubState, type StubState } from './stubState';

jest.setTimeout(300_000);

describe('a guest shops, signs in, merges the cart and checks out', () => {
  let kafka: Kafka;
  let platform: Platform;
  let shop: Shopper;
  let stubs: StubState;

  beforeAll(async () => {
    kafka = e2eKafka('e2e-guest');
    platform = await startPlatform(kafka);
    shop = shopper(platform.gatewayUrl);
    stubs = stubState(platform.grpc);
  });

  afterAll(async () => {
    stubs?.close();
    await platform?.stop();
  });

  const gql: Shopper['gql'] = (...args) => shop.gql(...args);
  const ok: Shopper['ok'] = (...args) => shop.ok(...args);

  type Shelved = {
    id: string;
    name: string;
    category: { name: string };
    availability: { inStock: boolean; quantityAvailable: number };
  };
  interface OrderView {
    id: string;
    status: string;
    checkoutId: string;
    refund: {
      status: string;
      amount: { amount: string };
      refundedAt: string | null;
      failureReason: string | null;
    } | null;
  }
  type Lines = { items: { product: { id: string; name: string }; quantity: number }[] };
  const lines = (cart: Lines) => cart.items.map((i) => [i.product.name, i.quantity]);

  test('the journey', async () => {
    // Browse a category: the catalog is public, and each product shows its live stock.
    const { categories } = await ok<{ categories: { id: string; name: string }[] }>(CATEGORIES);
    const computers = categories.find((c) => c.name === 'Computers & Accessories');
    expect(computers).toBeDefined();
    const find = async (name: string) => {
      const page = await ok<{ products: { edges: { node: Shelved }[] } }>(FIND_PRODUCTS, {
        filter: { categoryId: computers!.id, search: name },
      });
      for (const { node } of page.products.edges) {
        expect(node.category.name).toBe('Computers & Accessories');
      }
      const found = page.products.edges.find((e) => e.node.name === name)?.node;
      expect(found).toBeDefined();
      return found!;
    };
    const [laptop, mouse] = [await find('Laptop'), await find('Mouse')];
    const ids = [laptop.id, mouse.id];
    const stockBefore = await stubs.available(ids);
    expect(laptop.availability).toEqual({
      inStock: true,
      quantityAvailable: stockBefore[laptop.id],
    });
    expect(mouse.availability).toEqual({ inStock: true, quantityAvailable: stockBefore[mouse.id] });
    const seen = async () => ({
      [laptop.id]: (await shop.availability(laptop.id)).quantityAvailable,
      [mouse.id]: (await shop.availability(mouse.id)).quantityAvailable,
    });

    // A guest cart, filled with only X-Cart-Token.
    const { createGuestCart } = await ok<{ createGuestCart: { cartToken: string } }>(
      CREATE_GUEST_CART,
    );
    const asGuest = { 'x-cart-token': createGuestCart.cartToken };
    await shop.addToCart(asGuest, laptop.id, 1);
    const filled = await shop.addToCart(asGuest, mouse.id, 2);
    expect(lines(filled)).toEqual([
      ['Laptop', 1],
      ['Mouse', 2],
    ]);
    expect(filled.subtotal.amount).toBe('1359.97');

    // A guest cannot check out, read orders or subscribe: the token reaches the cart only.
    const guestCheckout = await gql(
      CHECKOUT,
      {
        input: {
          idempotencyKey: uniqueName('guest'),
          shippingAddress: address,
          paymentMethod: 'card_ok',
        },
      },
      asGuest,
    );
    expect(guestCheckout.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gql(ORDERS, {}, asGuest)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const refusal = await new Promise<string>((resolve) => {
      const client = createClient({
        url: platform.gatewayUrl.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: asGuest,
        retryAttempts: 0,
      });
      const done = (outcome: string) => {
        void client.dispose();
        resolve(outcome);
      };
      client.subscribe(
        { query: 'subscription { orderStatusChanged(orderId: "1") { id status } }' },
        {
          next: (m) => done(m.errors?.length ? 'refused' : 'data'),
          error: () => done('refused'),
          complete: () => done('completed'),
        },
      );
    });
    expect(refusal).toBe('refused');

    // Sign in (someone with a cart of their own already), merge, check out.
    const token = await testToken(uniqueName('gail'));
    const asGail = { authorization: `Bearer ${token}` };
    await shop.addToCart(asGail, mouse.id, 1);
    const { mergeGuestCart } = await ok<{ mergeGuestCart: Lines }>(
      MERGE_GUEST_CART,
      { cartToken: createGuestCart.cartToken },
      asGail,
    );
    expect(lines(mergeGuestCart)).toEqual([
      ['Mouse', 3],
      ['Laptop', 1],
    ]);
    expect((await gql('{ cart { id } }', {}, asGuest)).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );

    const checkout = await shop.checkout(asGail, uniqueName('gail'));
    expect(checkout).toMatchObject({ status: 'COMPLETED', total: { amount: '1389.96' } });
    const order = await shop.orderOfCheckout<OrderView>(asGail, checkout.id);
    expect(order.status).toBe('CONFIRMED');
    await shop.cartEmptied(asGail);

    // The stock went down by what she bought, as every shopper sees it.
    const sold = {
      [laptop.id]: stockBefore[laptop.id]! - 1,
      [mouse.id]: stockBefore[mouse.id]! - 3,
    };
    expect(await stubs.available(ids)).toEqual(sold);
    expect(await seen()).toEqual(sold);

    // She cancels: CANCELLED with the refund pending at once, then refunded and restocked.
    const cancelled = await shop.cancelOrder<OrderView>(asGail, order.id, 'Found it cheaper');
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      refund: { status: 'PENDING', amount: { amount: '1389.96' } },
    });
    const settled = await shop.refundSettled<OrderView>(asGail, order.id);
    expect(settled).toMatchObject({
      status: 'CANCELLED',
      refund: { status: 'REFUNDED', amount: { amount: '1389.96' }, failureReason: null },
    });
    expect(settled.refund?.refundedAt).toEqual(expect.any(String));
    expect(await stubs.charge(checkout.id)).toMatchObject({
      status: 'REFUNDED',
      refundedAmount: '1389.96',
      refundRequests: 1,
    });
    expect(await stubs.available(ids)).toEqual(stockBefore);
    expect(await seen()).toEqual(stockBefore);

    // The guest's token was a credential for the whole journey: no process wrote it to its log
    // (the gateway's access lines for the guest's operations are there, without it).
    const guestToken = createGuestCart.cartToken;
    expect(platform.logOf('gateway')).toContain('graphql operation');
    for (const name of SERVICE_NAMES) {
      expect({ name, leaked: platform.logOf(name).includes(guestToken) }).toEqual({
        name,
        leaked: false,
      });
    }
  });
});
