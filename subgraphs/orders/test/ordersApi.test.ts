import type { Kafka, Producer } from 'kafkajs';
import { Pool } from 'pg';
import { events } from '@shop/shared';
import {
  createTestDatabase,
  graphqlRequest,
  infra,
  TEST_JWT_SECRET,
  testToken,
  uniqueName,
  waitFor,
} from '@shop/shared/src/testing';
import { loadOrdersConfig } from '../src/config';
import type { OrderRow } from '../src/data/orderStore';
import { createOrdersService, type OrdersService } from '../src/service';
import {
  asMessage,
  checkoutCompleted,
  createTopics,
  deleteTopics,
  produce,
  readTopic,
  silentLogger,
  testKafka,
  type ReadMessage,
} from './support';

const ORDER_FIELDS = `
  id checkoutId status createdAt updatedAt
  total { amount currencyCode }
  items { product { id } productName quantity unitPrice { amount currencyCode } lineTotal { amount } }
`;

describe('orders subgraph API (real PostgreSQL and Kafka, over HTTP)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let kafka: Kafka;
  let producer: Producer;
  let topics: string[];
  let service: OrdersService;
  let orderEvents: { messages: ReadMessage[]; stop: () => Promise<void> };
  const admin = uniqueName('staff');
  let adminToken: string;

  beforeAll(async () => {
    db = await createTestDatabase('orders_api');
    pool = new Pool({ connectionString: db.url });
    kafka = testKafka();
    topics = await createTopics(kafka, [
      { prefix: 'checkout-events', partitions: 3 },
      { prefix: 'checkout-events-dlq', partitions: 1 },
      { prefix: 'order-events', partitions: 3 },
    ]);
    const [checkoutTopic, dlqTopic, orderTopic] = topics;
    const config = loadOrdersConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      POSTGRES_URL: db.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      CHECKOUT_EVENTS_TOPIC: checkoutTopic,
      CHECKOUT_EVENTS_DLQ_TOPIC: dlqTopic,
      ORDER_EVENTS_TOPIC: orderTopic,
      CONSUMER_GROUP: uniqueName('orders-service'),
    });
    service = await createOrdersService(config, { logger: silentLogger });
    orderEvents = await readTopic(kafka, orderTopic!);
    producer = kafka.producer();
    await producer.connect();
    adminToken = await testToken(admin, { scope: 'admin' });
  });

  afterAll(async () => {
    await orderEvents.stop();
    await producer.disconnect();
    await service.stop();
    await deleteTopics(kafka, topics);
    await pool.end();
    await db.drop();
  });

  /** An order for `userId`, created the way the consumer creates it. */
  async function placeOrder(userId: string): Promise<OrderRow> {
    const result = await service.store.createFromCheckout(checkoutCompleted({ userId }));
    if (!result.created) throw new Error('expected a new order');
    return result.order;
  }

  const gql = (query: string, variables: Record<string, unknown>, token?: string) =>
    graphqlRequest<Record<string, never>>(service.graphqlUrl, query, variables, token);
  const codes = (res: { errors?: { extensions?: { code?: string } }[] }) =>
    (res.errors ?? []).map((e) => e.extensions?.code);

  describe('orders(first, after)', () => {
    const ORDERS = `query($first: Int, $after: String) {
      orders(first: $first, after: $after) {
        edges { cursor node { id status } }
        pageInfo { hasNextPage endCursor }
      }
    }`;

    test('lists only the caller’s orders, newest first, in pages that neither skip nor repeat', async () => {
      const user = uniqueName('user');
      const mine: OrderRow[] = [];
      for (let i = 0; i < 7; i++) mine.push(await placeOrder(user));
      await placeOrder(uniqueName('someone-else'));
      // Three orders in the same millisecond: the id breaks the tie, so paging stays exact.
      await pool.query(
        `UPDATE orders SET created_at = '2026-01-01T00:00:00.000Z' WHERE id = ANY($1::uuid[])`,
        [mine.slice(2, 5).map((o) => o.id)],
      );
      const expected = (
        await pool.query<{ id: string }>(
          'SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC',
          [user],
        )
      ).rows.map((r) => r.id);
      expect(expected).toHaveLength(7);

      const token = await testToken(user);
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const res = await gql(ORDERS, { first: 2, after }, token);
        expect(res.errors).toBeUndefined();
        const page = (
          res.data as unknown as {
            orders: {
              edges: { cursor: string; node: { id: string } }[];
              pageInfo: { hasNextPage: boolean; endCursor: string | null };
            };
          }
        ).orders;
        seen.push(...page.edges.map((e) => e.node.id));
        pages++;
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(expected);
      expect(pages).toBe(4);
      // The newest order really is first (it was created last and kept its timestamp).
      expect(seen[0]).toBe(mine[6]!.id);
    });

    test('a user without orders gets an empty page', async () => {
      const res = await gql(ORDERS, {}, await testToken(uniqueName('new-user')));
      expect(res.data).toEqual({
        orders: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } },
      });
    });

    test.each([0, 101, -5])('first: %d is BAD_USER_INPUT', async (first) => {
      const res = await gql(ORDERS, { first }, await testToken(uniqueName('user')));
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors?.[0]?.message).toContain('between 1 and 100');
    });

    test('a cursor that is not from this list is BAD_USER_INPUT', async () => {
      const token = await testToken(uniqueName('user'));
      for (const after of ['garbage', Buffer.from('["x","y"]').toString('base64url')]) {
        const res = await gql(ORDERS, { after }, token);
        expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      }
    });

    test('without a token it is UNAUTHENTICATED', async () => {
      expect(codes(await gql(ORDERS, {}))).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('order(id)', () => {
    const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;

    test('the owner sees the order with its items as bought', async () => {
      const user = uniqueName('user');
      const order = await placeOrder(user);
      const res = await gql(ORDER, { id: order.id }, await testToken(user));
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({
        order: {
          id: order.id,
          checkoutId: order.checkoutId,
          status: 'CONFIRMED',
          createdAt: order.createdAt.toISOString(),
          updatedAt: order.updatedAt.toISOString(),
          total: { amount: '44.48', currencyCode: 'USD' },
          items: [
            {
              product: { id: '3' },
              productName: 'Desk lamp',
              quantity: 2,
              unitPrice: { amount: '19.99', currencyCode: 'USD' },
              lineTotal: { amount: '39.98' },
            },
            {
              product: { id: '7' },
              productName: 'Notebook',
              quantity: 1,
              unitPrice: { amount: '4.50', currencyCode: 'USD' },
              lineTotal: { amount: '4.50' },
            },
          ],
        },
      });
    });

    test('another user’s order answers exactly like a missing one: NOT_FOUND', async () => {
      const order = await placeOrder(uniqueName('owner'));
      const stranger = await testToken(uniqueName('stranger'));
      const theirs = await gql(ORDER, { id: order.id }, stranger);
      const missing = await gql(ORDER, { id: '00000000-0000-4000-8000-000000000000' }, stranger);
      expect(codes(theirs)).toEqual(['NOT_FOUND']);
      expect(theirs.data).toEqual({ order: null });
      expect(codes(missing)).toEqual(['NOT_FOUND']);
      // Same wording apart from the id the caller sent: nothing reveals that the order exists.
      expect(theirs.errors?.[0]?.message.replace(order.id, '<id>')).toBe(
        missing.errors?.[0]?.message.replace('00000000-0000-4000-8000-000000000000', '<id>'),
      );
    });

    test('staff with the admin scope can read any order', async () => {
      const order = await placeOrder(uniqueName('owner'));
      const res = await gql(ORDER, { id: order.id }, adminToken);
      expect(res.errors).toBeUndefined();
      expect(res.data).toMatchObject({ order: { id: order.id } });
    });

    test('an id that is not a UUID is BAD_USER_INPUT', async () => {
      const res = await gql(ORDER, { id: 'order-1' }, await testToken(uniqueName('user')));
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('updateOrderStatus', () => {
    const UPDATE = `mutation($id: ID!, $status: OrderStatus!) {
      updateOrderStatus(id: $id, status: $status) { id status updatedAt }
    }`;
    const statusOf = async (id: string) =>
      (await pool.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [id]))
        .rows[0]?.status;
    const eventsOf = (orderId: string) =>
      orderEvents.messages
        .filter((m) => m.key === orderId)
        .map((m) => events.OrderStatusChanged.parse(JSON.parse(m.value ?? 'null')));

    test('needs the admin scope: the owner without it gets FORBIDDEN and nothing changes', async () => {
      const user = uniqueName('user');
      const order = await placeOrder(user);
      const res = await gql(UPDATE, { id: order.id, status: 'CANCELLED' }, await testToken(user));
      expect(codes(res)).toEqual(['FORBIDDEN']);
      expect(codes(await gql(UPDATE, { id: order.id, status: 'CANCELLED' }))).toEqual([
        'UNAUTHENTICATED',
      ]);
      expect(await statusOf(order.id)).toBe('CONFIRMED');
    });

    test('walks an order to DELIVERED, each change on order-events in order, keyed by order', async () => {
      const order = await placeOrder(uniqueName('user'));
      for (const status of ['PROCESSING', 'SHIPPED', 'DELIVERED']) {
        const res = await gql(UPDATE, { id: order.id, status }, adminToken);
        expect(res.errors).toBeUndefined();
        expect(res.data).toMatchObject({ updateOrderStatus: { id: order.id, status } });
      }
      const seen = await waitFor(() => eventsOf(order.id).length >= 4 && eventsOf(order.id), {
        what: 'four OrderStatusChanged events',
      });
      expect(seen.map((e) => [e.previousStatus, e.status])).toEqual([
        [null, 'CONFIRMED'],
        ['CONFIRMED', 'PROCESSING'],
        ['PROCESSING', 'SHIPPED'],
        ['SHIPPED', 'DELIVERED'],
      ]);
      expect(
        seen.every((e) => e.checkoutId === order.checkoutId && e.userId === order.userId),
      ).toBe(true);
      expect(new Set(seen.map((e) => e.eventId)).size).toBe(4);
    });

    test('CANCELLED is allowed from CONFIRMED and from PROCESSING', async () => {
      const fresh = await placeOrder(uniqueName('user'));
      const res1 = await gql(UPDATE, { id: fresh.id, status: 'CANCELLED' }, adminToken);
      expect(res1.data).toMatchObject({ updateOrderStatus: { status: 'CANCELLED' } });

      const processing = await placeOrder(uniqueName('user'));
      await gql(UPDATE, { id: processing.id, status: 'PROCESSING' }, adminToken);
      const res2 = await gql(UPDATE, { id: processing.id, status: 'CANCELLED' }, adminToken);
      expect(res2.data).toMatchObject({ updateOrderStatus: { status: 'CANCELLED' } });
    });

    test('illegal transitions are BAD_USER_INPUT, change nothing and publish nothing', async () => {
      const order = await placeOrder(uniqueName('user'));
      const attempts: [string, string][] = [
        ['SHIPPED', 'An order cannot move from CONFIRMED to SHIPPED'],
        ['CONFIRMED', 'The order is already CONFIRMED'],
      ];
      for (const [status, message] of attempts) {
        const res = await gql(UPDATE, { id: order.id, status }, adminToken);
        expect(codes(res)).toEqual(['BAD_USER_INPUT']);
        expect(res.errors?.[0]?.message).toContain(message);
      }
      await gql(UPDATE, { id: order.id, status: 'PROCESSING' }, adminToken);
      await gql(UPDATE, { id: order.id, status: 'SHIPPED' }, adminToken);
      const late = await gql(UPDATE, { id: order.id, status: 'CANCELLED' }, adminToken);
      expect(codes(late)).toEqual(['BAD_USER_INPUT']);
      expect(late.errors?.[0]?.message).toContain('from SHIPPED it can move to DELIVERED');
      expect(await statusOf(order.id)).toBe('SHIPPED');

      await waitFor(() => eventsOf(order.id).length >= 3, { what: 'three events' });
      await new Promise((r) => setTimeout(r, 500)); // a stray event would have arrived by now
      expect(eventsOf(order.id).map((e) => e.status)).toEqual([
        'CONFIRMED',
        'PROCESSING',
        'SHIPPED',
      ]);
    });

    test('an unknown order is NOT_FOUND and a malformed id BAD_USER_INPUT', async () => {
      const missing = await gql(
        UPDATE,
        { id: '00000000-0000-4000-8000-000000000000', status: 'PROCESSING' },
        adminToken,
      );
      expect(codes(missing)).toEqual(['NOT_FOUND']);
      const malformed = await gql(UPDATE, { id: 'x', status: 'PROCESSING' }, adminToken);
      expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
    });

    test('of two admins racing to the same change, exactly one applies and one event is published', async () => {
      const racedOrders = await Promise.all(
        [1, 2, 3, 4, 5].map(() => placeOrder(uniqueName('user'))),
      );
      for (const order of racedOrders) {
        const results = await Promise.all(
          [1, 2].map(() => gql(UPDATE, { id: order.id, status: 'PROCESSING' }, adminToken)),
        );
        const applied = results.filter((r) => !r.errors);
        const refused = results.filter((r) => r.errors);
        expect(applied).toHaveLength(1);
        expect(refused.map(codes)).toEqual([['BAD_USER_INPUT']]);
      }
      const processingEvents = async () =>
        Number(
          (
            await pool.query(
              `SELECT count(*) AS n FROM outbox_events
                WHERE aggregate_id = ANY($1::text[]) AND payload->>'status' = 'PROCESSING'`,
              [racedOrders.map((o) => o.id)],
            )
          ).rows[0].n,
        );
      expect(await processingEvents()).toBe(racedOrders.length);
    });
  });

  describe('federation entities', () => {
    const CHECKOUT_ENTITY = `query($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on CheckoutSession { id order { id status checkoutId } } }
    }`;
    const ORDER_ENTITY = `query($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on Order { id status items { productName } } }
    }`;

    test('CheckoutSession.order is null until the CheckoutCompleted event has become the order', async () => {
      const event = checkoutCompleted();
      const token = await testToken(event.userId);
      const reps = [{ __typename: 'CheckoutSession', id: event.checkoutId }];
      const before = await gql(CHECKOUT_ENTITY, { reps }, token);
      expect(before.errors).toBeUndefined();
      expect(before.data).toEqual({ _entities: [{ id: event.checkoutId, order: null }] });

      await produce(producer, topics[0]!, [asMessage(event)]);
      const after = await waitFor(
        async () => {
          const res = await gql(CHECKOUT_ENTITY, { reps }, token);
          const [entity] = (res.data as unknown as { _entities: { order: unknown }[] })._entities;
          return entity?.order ? res : undefined;
        },
        { what: 'the order to appear on the checkout', timeoutMs: 30_000 },
      );
      expect(after.data).toMatchObject({
        _entities: [
          { id: event.checkoutId, order: { status: 'CONFIRMED', checkoutId: event.checkoutId } },
        ],
      });
    });

    test('CheckoutSession.order of many checkouts resolves each, and never another user’s', async () => {
      const user = uniqueName('user');
      const a = await placeOrder(user);
      const b = await placeOrder(user);
      const other = await placeOrder(uniqueName('other'));
      const res = await gql(
        CHECKOUT_ENTITY,
        {
          reps: [a, other, b].map((o) => ({ __typename: 'CheckoutSession', id: o.checkoutId })),
        },
        await testToken(user),
      );
      expect(res.data).toEqual({
        _entities: [
          { id: a.checkoutId, order: { id: a.id, status: 'CONFIRMED', checkoutId: a.checkoutId } },
          { id: other.checkoutId, order: null },
          { id: b.checkoutId, order: { id: b.id, status: 'CONFIRMED', checkoutId: b.checkoutId } },
        ],
      });
    });

    test('Order entities resolve for their owner only (the subscription path uses this)', async () => {
      const user = uniqueName('user');
      const order = await placeOrder(user);
      const reps = [{ __typename: 'Order', id: order.id }];
      const mine = await gql(ORDER_ENTITY, { reps }, await testToken(user));
      expect(mine.data).toEqual({
        _entities: [
          {
            id: order.id,
            status: 'CONFIRMED',
            items: [{ productName: 'Desk lamp' }, { productName: 'Notebook' }],
          },
        ],
      });
      const theirs = await gql(ORDER_ENTITY, { reps }, await testToken(uniqueName('stranger')));
      expect(theirs.data).toEqual({ _entities: [null] });
      expect(codes(await gql(ORDER_ENTITY, { reps }))).toEqual(['UNAUTHENTICATED']);
    });
  });

  test('readiness reports PostgreSQL and the consumer', async () => {
    const res = await fetch(service.graphqlUrl.replace('/graphql', '/health/ready'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      checks: { postgres: 'ok' },
      consumers: { 'checkout-events': 'running', 'order-cancellations': 'running' },
    });
  });
});
