/**
 * Cancellation as a saga, through the gateway against every service as a real process: the
 * order becomes CANCELLED with a PENDING refund at once, then the money goes back once and the
 * stock comes back once, even when the orders process is SIGKILLed between the steps, when the
 * event is delivered twice, or when the payment provider refuses the refund.
 */
import type { Client } from 'graphql-ws';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import { startPlatform, type Platform } from './platform';
import {
  AVAILABILITY_PAGE,
  CANCEL_ORDER,
  codes,
  e2eKafka,
  followOrder,
  readTopic,
  shopper,
  UPDATE_ORDER_STATUS,
  type Shopper,
} from './shopper';
import { stubState, type StubState } from './stubState';

jest.setTimeout(300_000);

/** The part of E2EOrderFields (shopper's operations) these tests look at. */
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
  let shop: Shopper;
  const alice = uniqueName('alice');
  let aliceToken: string;
  let bobToken: string;
  let adminToken: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    kafka = e2eKafka('e2e-cancel');
    platform = await startPlatform(kafka);
    stubs = stubState(platform.grpc);
    shop = shopper(platform.gatewayUrl);
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

  const gql: Shopper['gql'] = (...args) => shop.gql(...args);
  const ok: Shopper['ok'] = (...args) => shop.ok(...args);

  /** Buys `quantity` of a product as alice and resolves once the order exists. */
  async function buy(productId: string, quantity: number, paymentMethod = 'card_ok') {
    await shop.addToCart(aliceToken, productId, quantity);
    const checkout = await shop.checkout(aliceToken, uniqueName('key'), paymentMethod);
    expect(checkout.status).toBe('COMPLETED');
    const order = await shop.orderOfCheckout<OrderView>(aliceToken, checkout.id);
    // The cart consumer empties the cart after the checkout; wait so the next buy starts clean.
    await shop.cartEmptied(aliceToken);
    return order;
  }

  const readOrder = (id: string, token = aliceToken) => shop.order<OrderView>(token, id);

  const refundSettled = (id: string) => shop.refundSettled<OrderView>(aliceToken, id);

  async function cancelledEventsOf(orderId: string, atLeast: number) {
    const mine = (messages: KafkaMessage[]) =>
      messages.filter((m) => {
        const e = JSON.parse(m.value!.toString()) as { eventType: string; orderId: string };
        return e.eventType === 'OrderCancelled' && e.orderId === orderId;
      });
    return mine(
      await readTopic(kafka, platform.topics.orderEvents, (ms) => mine(ms).length >= atLeast),
    );
  }

  const availability = (id: string) => shop.availability(id);

  test('the owner cancels: CANCELLED + PENDING at once, then refunded once and restocked, seen live', async () => {
    const before = (await stubs.available(['11']))['11']!;
    expect(await availability('11')).toEqual({ inStock: true, quantityAvailable: before });
    const order = await buy('11', 3);
    expect((await stubs.available(['11']))['11']).toBe(before - 3);
    expect(await availability('11')).toEqual({ inStock: true, quantityAvailable: before - 3 });

    const { received, client } = await followOrder<OrderView>(
      platform.gatewayUrl,
      aliceToken,
      order.id,
    );
    clients.push(client);

    const cancelled = await shop.cancelOrder<OrderView>(
      aliceToken,
      order.id,
      'Ordered the wrong size',
    );
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      // Created at 1; the cancellation is one change.
      version: 2,
      cancellationReason: 'Ordered the wrong size',
      refund: {
        status: 'PENDING',
        amount: { amount: order.total.amount, currencyCode: 'USD' },
        refundedAt: null,
        failureReason: null,
      },
    });

    const settled = await refundSettled(order.id);
    expect(settled.refund).toMatchObject({ status: 'REFUNDED', failureReason: null });
    // The refund's outcome is a change of its own: the next version.
    expect(settled.version).toBe(3);
    expect(Date.parse(settled.refund!.refundedAt!)).toBeGreaterThanOrEqual(
      Date.parse(settled.refund!.requestedAt),
    );
    expect(await stubs.charge(order.checkoutId)).toMatchObject({
      status: 'REFUNDED',
      refundedAmount: order.total.amount,
      refundRequests: 1,
    });
    expect((await stubs.available(['11']))['11']).toBe(before);
    expect(await availability('11')).toEqual({ inStock: true, quantityAvailable: before });

    // Subscribers saw CANCELLED, then the refund's change.
    await waitFor(() => received.some((m) => m.orderStatusChanged.refund?.status === 'REFUNDED'), {
      what: 'the refund change to be pushed',
    });
    expect(received.map((m) => m.orderStatusChanged.status)).toEqual(
      expect.arrayContaining(['CANCELLED']),
    );
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(received.at(-1)?.orderStatusChanged.refund?.status).toBe('REFUNDED');
    expect(received.at(-1)?.orderStatusChanged.version).toBe(3);
    // Never a version at or below one already pushed.
    const versions = received.map((m) => m.orderStatusChanged.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });

  test('a duplicated OrderCancelled refunds and restocks nothing more', async () => {
    const before = (await stubs.available(['12']))['12']!;
    const order = await buy('12', 2);
    await shop.cancelOrder(aliceToken, order.id);
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
      const cancelled = await shop.cancelOrder<OrderView>(adminToken, order.id);
      expect(cancelled.refund?.status).toBe('PENDING');
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
    await shop.cancelOrder(aliceToken, order.id);
    const settled = await refundSettled(order.id);
    expect(settled.refund).toMatchObject({ status: 'FAILED', refundedAt: null });
    expect(settled.refund?.failureReason).toMatch(/card account is closed.*bank transfer/);
    expect(settled.refund?.failureReason).toMatch(/refused 3 times/);
    // Visible to staff as well as to the owner.
    expect((await readOrder(order.id, adminToken)).refund).toMatchObject({
      status: 'FAILED',
      failureReason: settled.refund?.failureReason,
    });
    expect(await stubs.charge(order.checkoutId)).toMatchObject({
      status: 'SUCCEEDED',
      refundedAmount: '0.00',
      refundRequests: 3,
    });
    expect((await stubs.available(['16']))['16']).toBe(before);
  });

  test('clear errors: twice, someone else’s, SHIPPED, owner too late; updateOrderStatus takes the same path', async () => {
    const order = await buy('17', 1);
    const cancel = (id: string, token: string) => gql(CANCEL_ORDER, { id }, token);

    expect(codes(await cancel(order.id, bobToken))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(`mutation { cancelOrder(id: "nope") { id } }`, {}, aliceToken))).toEqual(
      ['BAD_USER_INPUT'],
    );
    expect(codes(await gql(`mutation { cancelOrder(id: "x") { id } }`))).toEqual([
      'UNAUTHENTICATED',
    ]);

    const move = (id: string, status: string) =>
      gql(UPDATE_ORDER_STATUS, { id, status }, adminToken);
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
  test('availability follows a reservation and its expiry; inventory down fails only queries asking for it', async () => {
    await platform.kill('inventory', 'SIGTERM');
    await platform.start('inventory', { RESERVATION_TTL_MS: '1500' });
    // Product 20 is touched by no other test here: after the restart it has the seed's stock
    // (INVENTORY_SEED in platform.ts), read from inventory rather than assumed.
    const stock = (await stubs.available(['20']))['20']!;
    expect(stock).toBeGreaterThan(0);
    await waitFor(async () => (await availability('20')).quantityAvailable === stock, {
      what: 'product to see the restarted inventory',
    });
    // A checkout in progress holds every unit: sold out until its reservation expires.
    await stubs.reserve(uniqueName('checkout-in-progress'), '20', stock);
    expect(await availability('20')).toEqual({ inStock: false, quantityAvailable: 0 });
    await waitFor(async () => (await availability('20')).quantityAvailable === stock, {
      what: 'the reservation to expire',
      timeoutMs: 10_000,
    });

    // One request, a page of products: their availability comes from one batched call.
    const page = await ok<{
      products: { edges: { node: { id: string; availability: { quantityAvailable: number } } }[] };
    }>(AVAILABILITY_PAGE, {});
    expect(page.products.edges).toHaveLength(30);
    expect(page.products.edges.every((e) => e.node.availability.quantityAvailable >= 0)).toBe(true);

    await platform.kill('inventory', 'SIGKILL');
    // availability is non-null: asking for it fails the product, naming inventory…
    const asked = await gql<{ product: { name: string; availability: unknown } | null }>(
      '{ product(id: "20") { name availability { inStock } } }',
    );
    expect(asked.data?.product ?? null).toBeNull();
    expect(codes(asked)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(asked.errors?.[0]?.message).toMatch(/inventory/);
    // …while a query that leaves it out never calls inventory and answers as usual.
    const notAsked = await gql<{ product: { name: string } | null }>(
      '{ product(id: "20") { name } }',
    );
    expect(notAsked.errors).toBeUndefined();
    expect(notAsked.data?.product?.name).toEqual(expect.any(String));
    await platform.start('inventory');
  });
});
