/**
 * Cancellation as a saga, through the gateway against every service as a real process: the
 * order becomes CANCELLED with a PENDING refund at once, then the money goes back once and the
 * stock comes back once, even when the orders process is SIGKILLed between the steps, when the
 * event is delivered twice, or when the payment provider refuses the refund.
 */
import type { Client } from 'graphql-ws';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '@shop/shared';
import { graphqlRequest, infra, testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import { startPlatform, type Platform } from './platform';
import { stubState, type StubState } from './stubState';

jest.setTimeout(300_000);

const address = {
  name: 'Alice Example',
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

const ORDER_FIELDS = `id status version checkoutId cancellationReason total { amount }
  refund { status amount { amount currencyCode } requestedAt refundedAt failureReason }`;

interface OrderView {
  id: string;
  status: string;
  version: number;
  checkoutId: string;
  cancellationReason: string | null;
  total: { amount: string };
  refund: {
    status: string;
    amount: { amount: string; currencyCode: string };
    requestedAt: string;
    refundedAt: string | null;
    failureReason: string | null;
  } | null;
}

describe('cancelling an order refunds and restocks, exactly once', () => {
  let kafka: Kafka;
  let producer: Producer;
  let platform: Platform;
  let stubs: StubState;
  const alice = uniqueName('alice');
  let aliceToken: string;
  let bobToken: string;
  let adminToken: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    kafka = createKafka({
      clientId: 'e2e-cancel',
      brokers: infra.kafkaBrokers,
      logger: pino({ level: 'silent' }),
    });
    platform = await startPlatform(kafka);
    stubs = stubState(platform.grpc);
    producer = kafka.producer();
    await producer.connect();
    [aliceToken, bobToken, adminToken] = await Promise.all([
      testToken(alice),
      testToken(uniqueName('bob')),
      testToken(uniqueName('staff'), { scope: 'admin' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    stubs?.close();
    await producer?.disconnect();
    await platform?.stop();
  });

  const gql = <T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ) => graphqlRequest<T>(platform.gatewayUrl, query, variables, token);

  async function ok<T>(query: string, variables: Record<string, unknown>, token?: string) {
    const res = await gql<T>(query, variables, token);
    expect(res.errors).toBeUndefined();
    return res.data as T;
  }

  const codes = (res: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    (res.errors ?? []).map((e) => e.extensions?.code);

  /** Buys `quantity` of a product as alice and resolves once the order exists. */
  async function buy(productId: string, quantity: number, paymentMethod = 'card_ok') {
    await ok(
      'mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { totalQuantity } }',
      { p: productId, q: quantity },
      aliceToken,
    );
    const { checkout } = await ok<{ checkout: { id: string; status: string } }>(
      `mutation($input: CheckoutInput!) { checkout(input: $input) { id status } }`,
      {
        input: { idempotencyKey: uniqueName('key'), shippingAddress: address, paymentMethod },
      },
      aliceToken,
    );
    expect(checkout.status).toBe('COMPLETED');
    const order = await waitFor(
      async () => {
        const res = await gql<{ checkoutSession: { order: OrderView | null } }>(
          `query($id: ID!) { checkoutSession(id: $id) { order { ${ORDER_FIELDS} } } }`,
          { id: checkout.id },
          aliceToken,
        );
        return res.data?.checkoutSession.order ?? undefined;
      },
      { what: 'the order', timeoutMs: 30_000 },
    );
    // The cart consumer empties the cart after the checkout; wait so the next buy starts clean.
    await waitFor(
      async () =>
        (
          await ok<{ cart: { totalQuantity: number } }>(
            '{ cart { totalQuantity } }',
            {},
            aliceToken,
          )
        ).cart.totalQuantity === 0,
      { what: 'the cart to be emptied', timeoutMs: 30_000 },
    );
    return order;
  }

  async function readOrder(id: string, token = aliceToken): Promise<OrderView> {
    return (
      await ok<{ order: OrderView }>(
        `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`,
        { id },
        token,
      )
    ).order;
  }

  const refundSettled = (id: string) =>
    waitFor(
      async () => {
        const order = await readOrder(id);
        return order.refund?.status !== 'PENDING' ? order : undefined;
      },
      { what: 'the refund to settle', timeoutMs: 60_000 },
    );

  async function cancelledEventsOf(orderId: string, atLeast: number): Promise<KafkaMessage[]> {
    const messages: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('e2e-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: platform.topics.orderEvents, fromBeginning: true });
    const mine = () =>
      messages.filter((m) => {
        const e = JSON.parse(m.value!.toString()) as { eventType: string; orderId: string };
        return e.eventType === 'OrderCancelled' && e.orderId === orderId;
      });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    try {
      await waitFor(() => mine().length >= atLeast, { what: 'OrderCancelled', timeoutMs: 30_000 });
    } finally {
      await consumer.disconnect();
    }
    return mine();
  }

  test('a duplicated OrderCancelled refunds and restocks nothing more', async () => {
    const before = (await stubs.available(['12']))['12']!;
    const order = await buy('12', 2);
    await ok(`mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: order.id }, aliceToken);
    await refundSettled(order.id);
    const [event] = await cancelledEventsOf(order.id, 1);
    await producer.send({
      topic: platform.topics.orderEvents,
      acks: -1,
      messages: [
        { key: order.id, value: event!.value },
        { key: order.id, value: event!.value },
      ],
    });
    // Both copies are consumed (the consumer moves past them) without a second refund call.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await stubs.charge(order.checkoutId)).toMatchObject({
      refundedAmount: order.total.amount,
      refundRequests: 1,
    });
    expect((await stubs.available(['12']))['12']).toBe(before);
    expect((await readOrder(order.id)).refund?.status).toBe('REFUNDED');
  });

  test.each(['BEFORE_REFUND', 'AFTER_REFUND', 'AFTER_RESTOCK'])(
    'orders SIGKILLed at %s: the saga finishes after restart, one refund, one restock',
    async (point) => {
      const productId = { BEFORE_REFUND: '13', AFTER_REFUND: '14', AFTER_RESTOCK: '15' }[point]!;
      const before = (await stubs.available([productId]))[productId]!;
      const order = await buy(productId, 4);

      await platform.kill('orders', 'SIGTERM');
      await platform.start('orders', { ORDERS_CRASH_AT: point });
      const crashed = platform.exited('orders');
      const cancelled = await ok<{ cancelOrder: OrderView }>(
        `mutation($id: ID!) { cancelOrder(id: $id) { ${ORDER_FIELDS} } }`,
        { id: order.id },
        adminToken,
      );
      expect(cancelled.cancelOrder.refund?.status).toBe('PENDING');
      await crashed; // the switch fired: killed between two steps of the saga
      expect((await stubs.charge(order.checkoutId)).refundRequests).toBe(
        point === 'BEFORE_REFUND' ? 0 : 1,
      );

      await platform.start('orders');
      const settled = await refundSettled(order.id);
      expect(settled.refund?.status).toBe('REFUNDED');
      const charge = await stubs.charge(order.checkoutId);
      // The step that had already happened ran again and was a no-op: money back once.
      expect(charge).toMatchObject({ status: 'REFUNDED', refundedAmount: order.total.amount });
      expect(charge.refundRequests).toBe(point === 'BEFORE_REFUND' ? 1 : 2);
      expect((await stubs.available([productId]))[productId]).toBe(before);
    },
  );

  test('a refund the provider refuses ends FAILED with a reason staff can act on; stock returns', async () => {
    const before = (await stubs.available(['16']))['16']!;
    const order = await buy('16', 1, 'card_refund_refused');
    await ok(`mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: order.id }, aliceToken);
    const settled = await refundSettled(order.id);
    expect(settled.refund).toMatchObject({ status: 'FAILED', refundedAt: null });
    expect(settled.refund?.failureReason).toMatch(/card account is closed.*bank transfer/);
    expect(settled.refund?.failureReason).toMatch(/refused 3 times/);
    // Visible to staff as well as to the owner.
    expect((await readOrder(order.id, adminToken)).refund?.status).toBe('FAILED');
    expect(await stubs.charge(order.checkoutId)).toMatchObject({
      status: 'SUCCEEDED',
      refundedAmount: '0.00',
      refundRequests: 3,
    });
    expect((await stubs.available(['16']))['16']).toBe(before);
  });

  test('clear errors: twice, someone else’s, SHIPPED, owner too late; updateOrderStatus takes the same path', async () => {
    const order = await buy('17', 1);
    const cancel = (id: string, token: string) =>
      gql(`mutation($id: ID!) { cancelOrder(id: $id) { id status } }`, { id }, token);

    expect(codes(await cancel(order.id, bobToken))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(`mutation { cancelOrder(id: "nope") { id } }`, {}, aliceToken))).toEqual(
      ['BAD_USER_INPUT'],
    );
    expect(codes(await gql(`mutation { cancelOrder(id: "x") { id } }`))).toEqual([
      'UNAUTHENTICATED',
    ]);

    const move = (id: string, status: string) =>
      gql(
        `mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status refund { status } } }`,
        { id, s: status },
        adminToken,
      );
    await move(order.id, 'PROCESSING');
    const tooLate = await cancel(order.id, aliceToken);
    expect(codes(tooLate)).toEqual(['FORBIDDEN']);
    expect(tooLate.errors?.[0]?.message).toMatch(/only staff/);

    const viaStatus = await move(order.id, 'CANCELLED');
    expect(viaStatus.data).toEqual({
      updateOrderStatus: { status: 'CANCELLED', refund: { status: 'PENDING' } },
    });
    expect(codes(await cancel(order.id, adminToken))).toEqual(['CONFLICT']);
    expect(codes(await move(order.id, 'CANCELLED'))).toEqual(['CONFLICT']);
    expect((await refundSettled(order.id)).refund?.status).toBe('REFUNDED');

    const shipped = await buy('18', 1);
    await move(shipped.id, 'PROCESSING');
    await move(shipped.id, 'SHIPPED');
    const late = await cancel(shipped.id, adminToken);
    expect(codes(late)).toEqual(['BAD_USER_INPUT']);
    expect(late.errors?.[0]?.message).toMatch(/SHIPPED/);
  });

  // Last: it restarts the inventory stub (its state is in memory) with a short reservation TTL.
});
