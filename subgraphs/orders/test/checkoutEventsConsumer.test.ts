import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { events, runMigrations } from '@shop/shared';
import { createTestDatabase, uniqueName, waitFor } from '@shop/shared/src/testing';
import { OrderStore } from '../src/data/orderStore';
import { createOrdersPrisma, type OrdersPrisma } from '../src/data/prismaClient';
import {
  startCheckoutEventsConsumer,
  type CheckoutEventsConsumer,
} from '../src/events/checkoutEventsConsumer';
import { MIGRATIONS_DIR } from '../src/data/migrations';
import {
  asMessage,
  checkoutCompleted,
  createTopics,
  deleteTopics,
  produce,
  readTopic,
  silentLogger,
  testKafka,
  waitForCommitted,
} from './support';
import { startTcpProxy } from '@shop/shared/src/testing/tcpProxy';

describe('orders consumer of checkout-events (real PostgreSQL and Kafka)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let prisma: OrdersPrisma;
  let store: OrderStore;
  let kafka: Kafka;
  let producer: Producer;
  const orderEventsTopic = uniqueName('order-events-unused');
  const consumers: CheckoutEventsConsumer[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const topics: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('orders_consumer');
    await runMigrations({ dir: MIGRATIONS_DIR, postgresUrl: db.url });
    prisma = createOrdersPrisma(db.url);
    store = new OrderStore(prisma, orderEventsTopic);
    kafka = testKafka();
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  afterAll(async () => {
    await producer.disconnect();
    await deleteTopics(kafka, topics);
    await prisma.$disconnect();
    await db.drop();
  });

  /** A consumer on fresh topics, with retries short enough for a test. */
  async function startConsumer(
    options: {
      store?: OrderStore;
      maxAttempts?: number;
      /** Rejoin an earlier consumer's topics and group instead of fresh ones. */
      existing?: { topic: string; dlq: string; groupId: string };
    } = {},
  ): Promise<{ topic: string; dlq: string; groupId: string; consumer: CheckoutEventsConsumer }> {
    let existing = options.existing;
    if (!existing) {
      const [topic, dlq] = await createTopics(kafka, [
        { prefix: 'checkout-events', partitions: 3 },
        { prefix: 'checkout-events-dlq', partitions: 1 },
      ]);
      topics.push(topic!, dlq!);
      existing = { topic: topic!, dlq: dlq!, groupId: uniqueName('orders-service') };
    }
    const { topic, dlq, groupId } = existing;
    const consumer = await startCheckoutEventsConsumer({
      kafka,
      store: options.store ?? store,
      logger: silentLogger,
      topic,
      deadLetterTopic: dlq,
      groupId,
      maxAttempts: options.maxAttempts ?? 3,
      retryBackoffMs: 20,
      retryMaxBackoffMs: 200,
    });
    consumers.push(consumer);
    return { topic, dlq, groupId, consumer };
  }

  const ordersOf = (checkoutId: string) =>
    prisma.order.findMany({ where: { checkoutId }, include: { items: true } });
  const outboxOf = (orderId: string) =>
    prisma.outboxEvent.findMany({ where: { aggregateId: orderId }, orderBy: { id: 'asc' } });

  test('a CheckoutCompleted event becomes one order with its items as bought, and a CONFIRMED event', async () => {
    const { topic } = await startConsumer();
    const event = checkoutCompleted();
    await produce(producer, topic, [asMessage(event)]);

    const order = await waitFor(async () => (await ordersOf(event.checkoutId))[0], {
      what: 'the order',
    });
    expect(order).toMatchObject({
      checkoutId: event.checkoutId,
      userId: event.userId,
      status: 'CONFIRMED',
      totalCents: 4448n,
      currency: 'USD',
    });
    expect(
      order.items
        .sort((a, b) => a.position - b.position)
        .map((i) => [i.productId, i.productName, i.quantity, i.unitPriceCents]),
    ).toEqual([
      ['3', 'Desk lamp', 2, 1999n],
      ['7', 'Notebook', 1, 450n],
    ]);

    const outbox = await outboxOf(order.id);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({
      eventType: 'OrderStatusChanged',
      topic: orderEventsTopic,
      messageKey: order.id,
    });
    const payload = events.OrderStatusChanged.parse(outbox[0]!.payload);
    expect(payload).toMatchObject({
      orderId: order.id,
      checkoutId: event.checkoutId,
      userId: event.userId,
      previousStatus: null,
      status: 'CONFIRMED',
    });
  });

  test('a duplicate delivery makes no second order, no second item set and no second event', async () => {
    const { topic, groupId } = await startConsumer();
    const event = checkoutCompleted();
    // The same message twice (a relay republishing after a lost ack), then the same checkout
    // under a new event id (a producer that re-sent it): all one order.
    await produce(producer, topic, [asMessage(event), asMessage(event)]);
    await produce(producer, topic, [asMessage({ ...event, eventId: randomUUID() })]);
    await waitForCommitted(kafka, groupId, topic, 3);

    const orders = await ordersOf(event.checkoutId);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.items).toHaveLength(2);
    expect(await outboxOf(orders[0]!.id)).toHaveLength(1);
  });

  test('poison messages go to the dead-letter topic with the reason, and the next good message is still processed', async () => {
    const { topic, dlq, groupId } = await startConsumer();
    const good = checkoutCompleted();
    const key = good.userId; // one key: all on one partition, behind the poison
    const poison = [
      { key, value: '{"eventType": "CheckoutCompleted", "version": 1,', headers: { trace: 't-1' } },
      { key, value: JSON.stringify({ ...checkoutCompleted({ userId: key }), version: 2 }) },
      { key, value: JSON.stringify({ ...checkoutCompleted({ userId: key }), total: 44.48 }) },
      { key, value: null },
    ];
    await produce(producer, topic, [...poison, { ...asMessage(good), key }]);

    await waitFor(async () => (await ordersOf(good.checkoutId)).length === 1, {
      what: 'the good order behind the poison',
    });
    await waitForCommitted(kafka, groupId, topic, 5);

    const reader = await readTopic(kafka, dlq);
    cleanups.push(reader.stop);
    await waitFor(() => reader.messages.length >= 4, { what: '4 dead letters' });
    const letters = reader.messages;
    expect(letters.map((m) => m.value)).toEqual(poison.map((p) => p.value));
    expect(letters.every((m) => m.key === key)).toBe(true);
    const sourcePartition = letters[0]!.headers['dlq-source-partition'];
    expect(letters.map((m) => m.headers['dlq-source-offset'])).toEqual(['0', '1', '2', '3']);
    for (const letter of letters) {
      expect(letter.headers).toMatchObject({
        'dlq-reason': 'poison',
        'dlq-source-topic': topic,
        'dlq-source-partition': sourcePartition,
        'dlq-consumer-group': groupId,
        'dlq-attempts': '1',
      });
    }
    expect(letters[0]!.headers.trace).toBe('t-1'); // the original headers are kept
    expect(letters[0]!.headers['dlq-error']).toContain('not JSON');
    expect(letters[1]!.headers['dlq-error']).toContain('unknown CheckoutCompleted version 2');
    expect(letters[2]!.headers['dlq-error']).toContain('total');
    expect(letters[3]!.headers['dlq-error']).toContain('empty message');
    expect(await prisma.order.count({ where: { userId: key } })).toBe(1);
  });

  test('an event of another type is skipped: no order, nothing dead-lettered', async () => {
    const { topic, dlq, groupId } = await startConsumer();
    const other = { ...checkoutCompleted(), eventType: 'CheckoutFailed' };
    await produce(producer, topic, [{ key: other.userId, value: JSON.stringify(other) }]);
    await waitForCommitted(kafka, groupId, topic, 1);
    expect(await ordersOf(other.checkoutId)).toHaveLength(0);
    const reader = await readTopic(kafka, dlq);
    cleanups.push(reader.stop);
    await new Promise((r) => setTimeout(r, 1500)); // a dead letter would have arrived by now
    expect(reader.messages).toHaveLength(0);
  });

  test('an event the database keeps rejecting is dead-lettered after the configured attempts, and the partition moves on', async () => {
    const { topic, dlq, groupId } = await startConsumer({ maxAttempts: 3 });
    // Valid by the contract, refused by PostgreSQL every time (text cannot hold NUL: SQLSTATE 22021).
    const rejected = checkoutCompleted({
      items: [{ productId: '3', name: 'Desk\u0000lamp', quantity: 1, unitPrice: '19.99' }],
      total: '19.99',
    });
    const next = checkoutCompleted({ userId: rejected.userId });
    await produce(producer, topic, [asMessage(rejected), asMessage(next)]);

    await waitFor(async () => (await ordersOf(next.checkoutId)).length === 1, {
      what: 'the order after the rejected one',
    });
    await waitForCommitted(kafka, groupId, topic, 2);
    expect(await ordersOf(rejected.checkoutId)).toHaveLength(0);

    const reader = await readTopic(kafka, dlq);
    cleanups.push(reader.stop);
    await waitFor(() => reader.messages.length >= 1, { what: 'the dead letter' });
    expect(reader.messages).toHaveLength(1);
    expect(reader.messages[0]!.value).toBe(JSON.stringify(rejected));
    expect(reader.messages[0]!.headers).toMatchObject({
      'dlq-reason': 'processing-failed',
      'dlq-attempts': '3',
      'dlq-source-topic': topic,
    });
  });

  test('a database outage holds messages back, never dead-letters them, and they become orders when it returns', async () => {
    const proxy = await startTcpProxy({
      host: new URL(db.url).hostname,
      port: Number(new URL(db.url).port || 5432),
    });
    const proxiedUrl = new URL(db.url);
    proxiedUrl.port = String(proxy.port);
    const proxiedPrisma = createOrdersPrisma(proxiedUrl.toString());
    cleanups.push(async () => {
      await proxiedPrisma.$disconnect();
      await proxy.close();
    });
    const { topic, dlq, groupId } = await startConsumer({
      store: new OrderStore(proxiedPrisma, orderEventsTopic),
      maxAttempts: 2,
    });

    await proxy.cut();
    const userId = uniqueName('user');
    const batch = [1, 2, 3].map(() => checkoutCompleted({ userId }));
    await produce(producer, topic, batch.map(asMessage));
    await new Promise((r) => setTimeout(r, 3000)); // far more than maxAttempts × backoff
    expect(await prisma.order.count({ where: { userId } })).toBe(0);

    await proxy.restore();
    await waitFor(async () => (await prisma.order.count({ where: { userId } })) === 3, {
      what: 'all three orders after the outage',
      timeoutMs: 30_000,
    });
    await waitForCommitted(kafka, groupId, topic, 3);
    const reader = await readTopic(kafka, dlq);
    cleanups.push(reader.stop);
    await new Promise((r) => setTimeout(r, 1500));
    expect(reader.messages).toHaveLength(0);
  });

  test('stopping during an outage returns, leaves the message uncommitted, and the next consumer makes the order', async () => {
    const proxy = await startTcpProxy({
      host: new URL(db.url).hostname,
      port: Number(new URL(db.url).port || 5432),
    });
    const proxiedUrl = new URL(db.url);
    proxiedUrl.port = String(proxy.port);
    const proxiedPrisma = createOrdersPrisma(proxiedUrl.toString());
    cleanups.push(async () => {
      await proxiedPrisma.$disconnect();
      await proxy.close();
    });
    const first = await startConsumer({ store: new OrderStore(proxiedPrisma, orderEventsTopic) });
    await proxy.cut();
    const event = checkoutCompleted();
    await produce(producer, first.topic, [asMessage(event)]);
    await new Promise((r) => setTimeout(r, 1500)); // it is now retrying the message
    await first.consumer.stop(); // must not wait for the database to come back

    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: first.groupId, topics: [first.topic] });
    await admin.disconnect();
    expect(offsets!.partitions.every((p) => Number(p.offset) <= 0)).toBe(true);

    await proxy.restore();
    await startConsumer({ existing: first });
    await waitFor(async () => (await ordersOf(event.checkoutId)).length === 1, {
      what: 'the order from the redelivered message',
      timeoutMs: 30_000,
    });
  });
});
