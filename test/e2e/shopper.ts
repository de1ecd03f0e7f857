/**
 * What the e2e journeys do as a shopper, through the gateway only: GraphQL calls signed in or
 * with a guest cart token, filling a cart, checking out and waiting for the order and the
 * emptied cart, reading stock as a shopper sees it, following an order live, and reading a
 * Kafka topic as an operator would. One place, so the journeys (shopFlow, cancellation,
 * guestJourney) differ only in what they assert. Every operation it sends is a named one from
 * operations.ts, the source the persisted query manifest is generated from.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '@shop/shared';
import { infra, uniqueName, waitFor } from '@shop/shared/src/testing';
import * as operations from './operations';

export * from './operations';

export const address = {
  name: 'Alice Example',
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

/** A Kafka client for the shared broker, quiet (kafkajs logs every rebalance otherwise). */
export function e2eKafka(clientId: string): Kafka {
  return createKafka({ clientId, brokers: infra.kafkaBrokers, logger: pino({ level: 'silent' }) });
}

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
}

/** Who is asking: a JWT (signed in), explicit headers (e.g. `x-cart-token`), or nobody. */
export type Caller = string | Record<string, string> | undefined;

function headersOf(caller: Caller): Record<string, string> {
  if (caller === undefined) return {};
  return typeof caller === 'string' ? { authorization: `Bearer ${caller}` } : caller;
}

export const codes = (res: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  (res.errors ?? []).map((e) => e.extensions?.code);

/** What E2EAddToCart answers. */
export interface CartLines {
  totalQuantity: number;
  subtotal: { amount: string };
  items: { product: { id: string; name: string }; quantity: number }[];
}

export interface Shopper {
  /** The raw answer, errors included (never thrown). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    caller?: Caller,
  ): Promise<GqlResult<T>>;
  /** The data of an answer that must have no errors. */
  ok<T>(query: string, variables?: Record<string, unknown>, caller?: Caller): Promise<T>;
  addToCart(caller: Caller, productId: string, quantity: number): Promise<CartLines>;
  cartOf(caller: Caller): Promise<{
    totalQuantity: number;
    items: { product: { id: string }; quantity: number }[];
  }>;
  ordersOf(caller: Caller): Promise<{ id: string; checkoutId: string; status: string }[]>;
  checkout(
    caller: Caller,
    key?: string,
    paymentMethod?: string,
  ): Promise<{ id: string; status: string; total: { amount: string } }>;
  /** The checkout session's order (E2EOrderFields), once the orders consumer made it. */
  orderOfCheckout<T>(caller: Caller, checkoutId: string): Promise<T>;
  /** The order (E2EOrderFields), which must be readable. */
  order<T>(caller: Caller, orderId: string): Promise<T>;
  /** Resolves once the cart consumer has emptied the cart after a checkout. */
  cartEmptied(caller: Caller): Promise<void>;
  /** Product.availability as any shopper sees it. */
  availability(productId: string): Promise<{ inStock: boolean; quantityAvailable: number }>;
  /** cancelOrder, which must succeed; answers the order (E2EOrderFields). */
  cancelOrder<T>(caller: Caller, orderId: string, reason?: string): Promise<T>;
  /** The order (E2EOrderFields) once its refund is no longer PENDING. */
  refundSettled<T extends { refund: { status: string } | null }>(
    caller: Caller,
    orderId: string,
  ): Promise<T>;
}

export function shopper(gatewayUrl: string): Shopper {
  const gql: Shopper['gql'] = async <T>(
    query: string,
    variables: Record<string, unknown> = {},
    caller?: Caller,
  ) => {
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        // Apollo's CSRF prevention wants a non-simple request; tests are not browsers.
        'apollo-require-preflight': 'true',
        ...headersOf(caller),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GqlResult<T>, 'status'>;
    return { status: res.status, ...body };
  };
  const ok: Shopper['ok'] = async <T>(
    query: string,
    variables: Record<string, unknown> = {},
    caller?: Caller,
  ) => {
    const res = await gql<T>(query, variables, caller);
    expect(res.errors).toBeUndefined();
    return res.data as T;
  };
  const cartOf: Shopper['cartOf'] = async (caller) =>
    (await ok<{ cart: Awaited<ReturnType<Shopper['cartOf']>> }>(operations.CART, {}, caller)).cart;

  return {
    gql,
    ok,
    cartOf,
    async addToCart(caller, productId, quantity) {
      return (
        await ok<{ addToCart: CartLines }>(operations.ADD_TO_CART, { productId, quantity }, caller)
      ).addToCart;
    },
    async ordersOf(caller) {
      return (
        await ok<{
          orders: { edges: { node: { id: string; checkoutId: string; status: string } }[] };
        }>(operations.ORDERS, {}, caller)
      ).orders.edges.map((e) => e.node);
    },
    async checkout(caller, key = uniqueName('key'), paymentMethod = 'card_ok') {
      return (
        await ok<{ checkout: { id: string; status: string; total: { amount: string } } }>(
          operations.CHECKOUT,
          { input: { idempotencyKey: key, shippingAddress: address, paymentMethod } },
          caller,
        )
      ).checkout;
    },
    orderOfCheckout: <T>(caller: Caller, checkoutId: string) =>
      waitFor(
        async () => {
          const res = await gql<{ checkoutSession: { order: T | null } }>(
            operations.CHECKOUT_SESSION_ORDER,
            { id: checkoutId },
            caller,
          );
          return res.data?.checkoutSession.order ?? undefined;
        },
        { what: `the order of checkout ${checkoutId}`, timeoutMs: 30_000 },
      ),
    async cartEmptied(caller) {
      await waitFor(async () => (await cartOf(caller)).totalQuantity === 0, {
        what: 'the cart to be emptied',
        timeoutMs: 30_000,
      });
    },
    async order<T>(caller: Caller, orderId: string) {
      return (await ok<{ order: T }>(operations.ORDER, { id: orderId }, caller)).order;
    },
    async cancelOrder<T>(caller: Caller, orderId: string, reason?: string) {
      return (
        await ok<{ cancelOrder: T }>(operations.CANCEL_ORDER, { id: orderId, reason }, caller)
      ).cancelOrder;
    },
    refundSettled: <T extends { refund: { status: string } | null }>(
      caller: Caller,
      orderId: string,
    ) =>
      waitFor(
        async () => {
          const { order } = await ok<{ order: T }>(operations.ORDER, { id: orderId }, caller);
          return order.refund?.status === 'PENDING' ? undefined : order;
        },
        { what: `the refund of order ${orderId} to settle`, timeoutMs: 60_000 },
      ),
    async availability(productId) {
      return (
        await ok<{ product: { availability: { inStock: boolean; quantityAvailable: number } } }>(
          operations.AVAILABILITY,
          { id: productId },
        )
      ).product.availability;
    },
  };
}

/**
 * Subscribes to `orderStatusChanged` for one order (E2EFollowOrder) and resolves once the
 * gateway counts the subscription as listening, so a change made next cannot race the
 * subscribe. The caller disposes the returned client (afterAll).
 */
export async function followOrder<T>(
  gatewayUrl: string,
  token: string,
  orderId: string,
): Promise<{ received: { orderStatusChanged: T }[]; client: Client }> {
  const received: { orderStatusChanged: T }[] = [];
  const listeningBefore = await listeningSubscriptions(gatewayUrl);
  const client = createClient({
    url: gatewayUrl.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  client.subscribe(
    { query: operations.FOLLOW_ORDER, variables: { id: orderId } },
    {
      next: (m) => void received.push(m.data as { orderStatusChanged: T }),
      error: (err) => {
        throw err;
      },
      complete: () => undefined,
    },
  );
  await waitFor(async () => (await listeningSubscriptions(gatewayUrl)) > listeningBefore, {
    what: 'the subscription to listen',
  });
  return { received, client };
}

async function listeningSubscriptions(gatewayUrl: string): Promise<number> {
  const metrics = await (await fetch(new URL('/metrics', gatewayUrl))).text();
  return Number(/^gateway_order_subscriptions (\d+)/m.exec(metrics)?.[1] ?? 0);
}

/** Reads `topic` from the beginning with a group of its own until `until` holds. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  until: (messages: KafkaMessage[]) => boolean,
): Promise<KafkaMessage[]> {
  const messages: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('e2e-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  try {
    await waitFor(() => until(messages), { what: `messages on ${topic}`, timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
