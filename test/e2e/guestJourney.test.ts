/**
 * A shopper's journey without an account first, end to end through the gateway against every
 * service as a real process: browse, fill a guest cart, find that checkout, orders and
 * subscriptions need an account, sign in, merge the guest cart, check out, see the order.
 * To be extended with browsing by category and with cancellation (refund, restock) once those
 * land (issue 12, items 1-3).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '@shop/shared';
import { infra, testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import { startPlatform, type Platform } from './platform';

jest.setTimeout(300_000);

const address = {
  name: 'Gail Guest',
  line1: '2 Side St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

interface Gql<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

describe('a guest shops, signs in, merges the cart and checks out', () => {
  let kafka: Kafka;
  let platform: Platform;

  beforeAll(async () => {
    kafka = createKafka({
      clientId: 'e2e-guest',
      brokers: infra.kafkaBrokers,
      logger: pino({ level: 'silent' }),
    });
    platform = await startPlatform(kafka);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  async function gql<T>(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<Gql<T>> {
    const res = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'apollo-require-preflight': 'true',
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Gql<T>;
  }

  async function ok<T>(
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await gql<T>(query, variables, headers);
    expect(res.errors).toBeUndefined();
    return res.data as T;
  }

  const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { id status total { amount } } }`;
  const ORDERS = '{ orders(first: 10) { edges { node { id checkoutId status } } } }';
  type Lines = { items: { product: { id: string; name: string }; quantity: number }[] };
  const lines = (cart: Lines) => cart.items.map((i) => [i.product.name, i.quantity]);

  test('the journey', async () => {
    // Browse: the catalog is public.
    const browse = await ok<{ products: { edges: { node: { id: string; name: string } }[] } }>(
      '{ products(first: 3) { edges { node { id name } } } }',
    );
    expect(browse.products.edges.map((e) => e.node.name)).toEqual(['Laptop', 'Mouse', 'Keyboard']);

    // A guest cart, filled with only X-Cart-Token.
    const { createGuestCart } = await ok<{ createGuestCart: { cartToken: string } }>(
      'mutation { createGuestCart { cartToken } }',
    );
    const asGuest = { 'x-cart-token': createGuestCart.cartToken };
    await ok('mutation { addToCart(productId: "1", quantity: 1) { totalQuantity } }', {}, asGuest);
    const filled = await ok<{ addToCart: Lines & { subtotal: { amount: string } } }>(
      'mutation { addToCart(productId: "2", quantity: 2) { subtotal { amount } items { product { id name } quantity } } }',
      {},
      asGuest,
    );
    expect(lines(filled.addToCart)).toEqual([
      ['Laptop', 1],
      ['Mouse', 2],
    ]);
    expect(filled.addToCart.subtotal.amount).toBe('1359.97');

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
    await ok('mutation { addToCart(productId: "2", quantity: 1) { totalQuantity } }', {}, asGail);
    const { mergeGuestCart } = await ok<{ mergeGuestCart: Lines }>(
      'mutation($t: String!) { mergeGuestCart(cartToken: $t) { items { product { id name } quantity } } }',
      { t: createGuestCart.cartToken },
      asGail,
    );
    expect(lines(mergeGuestCart)).toEqual([
      ['Mouse', 3],
      ['Laptop', 1],
    ]);
    expect((await gql('{ cart { id } }', {}, asGuest)).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );

    const { checkout } = await ok<{
      checkout: { id: string; status: string; total: { amount: string } };
    }>(
      CHECKOUT,
      {
        input: {
          idempotencyKey: uniqueName('gail'),
          shippingAddress: address,
          paymentMethod: 'card_ok',
        },
      },
      asGail,
    );
    expect(checkout).toMatchObject({ status: 'COMPLETED', total: { amount: '1389.96' } });
    const order = await waitFor(
      async () =>
        (
          await ok<{ orders: { edges: { node: { checkoutId: string; status: string } }[] } }>(
            ORDERS,
            {},
            asGail,
          )
        ).orders.edges.find((e) => e.node.checkoutId === checkout.id)?.node,
      { what: "gail's order", timeoutMs: 30_000 },
    );
    expect(order.status).toBe('CONFIRMED');
    await waitFor(
      async () =>
        (await ok<{ cart: { totalQuantity: number } }>('{ cart { totalQuantity } }', {}, asGail))
          .cart.totalQuantity === 0,
      { what: 'the cart to be emptied', timeoutMs: 30_000 },
    );
  });
});
