/**
 * The shop end to end, through the gateway as a client sees it, against every service running
 * as a real process on the real servers: browse, fill a cart, check out, watch the order appear
 * and the cart empty, follow the order live while staff move it along; then the ways it must
 * not break — a duplicate delivery, a poison message, another shopper's prying, and the orders
 * consumer killed mid-stream.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import type { Kafka, Producer } from 'kafkajs';
import { Client as PgClient } from 'pg';
import { events, formatCents, parseCents } from '@shop/shared';
import { testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import { startPlatform, type Platform } from './platform';
import {
  CATALOG_PAGE,
  CHECKOUT_SESSION_ORDER,
  e2eKafka,
  followOrder,
  PRODUCT,
  readTopic,
  shopper,
  UPDATE_ORDER_STATUS,
  type Shopper,
} from './shopper';

jest.setTimeout(300_000);

describe('the shop, end to end through the gateway', () => {
  let kafka: Kafka;
  let producer: Producer;
  let platform: Platform;
  let shop: Shopper;
  const alice = uniqueName('alice');
  const bob = uniqueName('bob');
  let aliceToken: string;
  let bobToken: string;
  let adminToken: string;
  let aliceOrderId: string;
  let aliceCheckoutId: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    kafka = e2eKafka('e2e');
    platform = await startPlatform(kafka);
    shop = shopper(platform.gatewayUrl);
    producer = kafka.producer();
    await producer.connect();
    [aliceToken, bobToken, adminToken] = await Promise.all([
      testToken(alice),
      testToken(bob),
      testToken(uniqueName('staff'), { scope: 'admin' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await producer?.disconnect();
    await platform?.stop();
  });

  const gql: Shopper['gql'] = (...args) => shop.gql(...args);
  const ok: Shopper['ok'] = (...args) => shop.ok(...args);
  const cartOf = (token: string) => shop.cartOf(token);
  const ordersOf = (token: string) => shop.ordersOf(token);

  test('browse, fill the cart, check out, see the order and the emptied cart, follow it live', async () => {
    const browse = await ok<{
      products: { edges: { node: { id: string; name: string; price: { amount: string } } }[] };
    }>(CATALOG_PAGE, {});
    expect(browse.products.edges).toHaveLength(5);
    // The catalog is sorted by name now; product 1 is looked up by id.
    const laptop = await ok<{ product: { id: string; name: string; price: { amount: string } } }>(
      PRODUCT,
      { id: '1' },
    );
    expect(laptop.product).toEqual({
      id: '1',
      name: 'Laptop',
      price: { amount: '1299.99' },
    });

    await shop.addToCart(aliceToken, '1', 1);
    const filled = await shop.addToCart(aliceToken, '2', 2);
    expect(filled).toMatchObject({ totalQuantity: 3, subtotal: { amount: '1359.97' } });

    const session = await shop.checkout(aliceToken, 'e2e-first-checkout');
    const completedAt = Date.now();
    expect(session).toMatchObject({ status: 'COMPLETED', total: { amount: '1359.97' } });
    aliceCheckoutId = session.id;

    const order = await waitFor(
      async () => (await ordersOf(aliceToken)).find((o) => o.checkoutId === session.id),
      { what: "alice's order", timeoutMs: 30_000 },
    );
    console.log(`order visible ${Date.now() - completedAt} ms after the checkout completed`);
    expect(order.status).toBe('CONFIRMED');
    aliceOrderId = order.id;

    // The checkout session now links to its order through federation (orders adds the field).
    const linked = await ok<{ checkoutSession: { order: { id: string } | null } }>(
      CHECKOUT_SESSION_ORDER,
      { id: session.id },
      aliceToken,
    );
    expect(linked.checkoutSession.order?.id).toBe(order.id);

    await waitFor(async () => (await cartOf(aliceToken)).totalQuantity === 0, {
      what: 'the cart to be emptied',
      timeoutMs: 30_000,
    });

    // Follow the order live, then move it along as staff.
    const { received, client } = await followOrder<{ status: string; items: unknown[] }>(
      platform.gatewayUrl,
      aliceToken,
      order.id,
    );
    clients.push(client);
    const moved = await ok<{ updateOrderStatus: { status: string } }>(
      UPDATE_ORDER_STATUS,
      { id: order.id, status: 'PROCESSING' },
      adminToken,
    );
    expect(moved.updateOrderStatus.status).toBe('PROCESSING');
    const event = await waitFor(
      () => received.find((m) => m.orderStatusChanged.status === 'PROCESSING'),
      { what: 'the PROCESSING event' },
    );
    expect(event.orderStatusChanged.items).toEqual([
      {
        productName: 'Laptop',
        quantity: 1,
        product: { name: 'Laptop', price: { amount: '1299.99' } },
      },
      { productName: 'Mouse', quantity: 2, product: { name: 'Mouse', price: { amount: '29.99' } } },
    ]);
    // Only staff may move orders.
    const refused = await gql(UPDATE_ORDER_STATUS, { id: order.id, status: 'SHIPPED' }, aliceToken);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('a duplicate delivery of the checkout event makes no second order and leaves the new cart alone', async () => {
    const [original] = (
      await readTopic(kafka, platform.topics.checkoutEvents, (ms) =>
        ms.some((m) => m.value?.toString().includes(aliceCheckoutId)),
      )
    ).filter((m) => m.value?.toString().includes(aliceCheckoutId));
    // Alice shops again before the duplicate arrives: those lines must survive it.
    await shop.addToCart(aliceToken, '2', 1);
    await shop.addToCart(aliceToken, '4', 1);
    await producer.send({
      topic: platform.topics.checkoutEvents,
      messages: [{ key: original?.key ?? alice, value: original?.value ?? null }],
    });
    // A marker checkout of product 4 follows the duplicate on alice's partition: once its order
    // exists and product 4 has left the cart, both consumers are past the duplicate.
    const marker = await sendCheckoutEvent(alice, [
      { productId: '4', name: 'Monitor', quantity: 1, unitPrice: '399.99' },
    ]);
    await waitFor(async () => (await ordersOf(aliceToken)).some((o) => o.checkoutId === marker), {
      what: 'the marker order',
    });
    await waitFor(async () => !(await cartOf(aliceToken)).items.some((i) => i.product.id === '4'), {
      what: 'the marker checkout to leave the cart',
    });
    const orders = await ordersOf(aliceToken);
    expect(orders.filter((o) => o.checkoutId === aliceCheckoutId)).toHaveLength(1);
    const cart = await cartOf(aliceToken);
    expect(cart.items).toEqual([{ product: { id: '2' }, quantity: 1 }]);
  });

  test('a poison message is dead-lettered and the next good event still becomes an order', async () => {
    await producer.send({
      topic: platform.topics.checkoutEvents,
      messages: [{ key: bob, value: 'this is not an event' }],
    });
    const good = await sendCheckoutEvent(bob);
    await waitFor(async () => (await ordersOf(bobToken)).some((o) => o.checkoutId === good), {
      what: "bob's order after the poison message",
    });
    const dead = await readTopic(kafka, platform.topics.checkoutEventsDlq, (ms) =>
      ms.some((m) => m.value?.toString() === 'this is not an event'),
    );
    expect(dead.some((m) => m.value?.toString() === 'this is not an event')).toBe(true);
  });

  test("another shopper cannot see alice's order, checkout or cart", async () => {
    const order = await gql(
      'query($id: ID!) { order(id: $id) { id } }',
      { id: aliceOrderId },
      bobToken,
    );
    expect(order.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const session = await gql(
      'query($id: ID!) { checkoutSession(id: $id) { id status } }',
      { id: aliceCheckoutId },
      bobToken,
    );
    expect(session.data?.checkoutSession ?? null).toBeNull();
    expect(session.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await ordersOf(bobToken)).some((o) => o.id === aliceOrderId)).toBe(false);
    const anonymous = await gql('{ cart { totalQuantity } }');
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('the orders service killed mid-stream loses and doubles nothing', async () => {
    const buyers = Array.from({ length: 8 }, () => uniqueName('buyer'));
    const sent: string[] = [];
    const sending = (async () => {
      for (let i = 0; i < 60; i++) {
        sent.push(await sendCheckoutEvent(buyers[i % buyers.length] as string));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await waitFor(() => sent.length >= 15, { what: 'some events sent' });
    await platform.kill('orders', 'SIGKILL');
    await sending;
    await platform.start('orders');

    const db = new PgClient({ connectionString: platform.ordersDatabaseUrl });
    await db.connect();
    try {
      const counts = await waitFor(
        async () => {
          const { rows } = await db.query<{ checkout_id: string; n: string }>(
            'SELECT checkout_id, count(*) AS n FROM orders WHERE checkout_id = ANY($1::uuid[]) GROUP BY checkout_id',
            [sent],
          );
          return rows.length === sent.length ? rows : undefined;
        },
        { what: 'an order for every event', timeoutMs: 90_000 },
      );
      expect(counts.every((r) => r.n === '1')).toBe(true);
    } finally {
      await db.end();
    }
  });

  /** A CheckoutCompleted as the checkout service writes it; returns its checkout id. */
  async function sendCheckoutEvent(
    userId: string,
    items: events.CheckoutCompletedV1['items'] = [
      { productId: '3', name: 'Keyboard', quantity: 1, unitPrice: '89.99' },
    ],
  ): Promise<string> {
    const checkoutId = randomUUID();
    const event: events.CheckoutCompletedV1 = {
      eventId: randomUUID(),
      eventType: 'CheckoutCompleted',
      version: 1,
      occurredAt: new Date().toISOString(),
      checkoutId,
      userId,
      items,
      total: formatCents(items.reduce((sum, i) => sum + parseCents(i.unitPrice) * i.quantity, 0)),
      currency: 'USD',
    };
    await producer.send({
      topic: platform.topics.checkoutEvents,
      messages: [{ key: userId, value: JSON.stringify(event) }],
    });
    return checkoutId;
  }
});
