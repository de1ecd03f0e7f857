import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Kafka, Producer } from 'kafkajs';
import { createKafka, events } from '@shop/shared';
import {
  createTestDatabase,
  graphqlRequest,
  infra,
  TEST_JWT_SECRET,
  testToken,
  uniqueName,
  waitFor,
} from '@shop/shared/src/testing';
import { createProductService, loadProductConfig } from '@shop/product-subgraph';
import { createOrdersService } from '@shop/orders-subgraph/src/service';
import { loadOrdersConfig } from '@shop/orders-subgraph/src/config';
import { loadGatewayConfig } from '../src/config';
import { createGateway, type RunningGateway } from '../src/service';
import { orderSubscriptions } from '../src/subscriptions';
import { silentLogger } from './support';

type Stoppable = { stop: () => Promise<void> };

interface Received {
  data?: { orderStatusChanged?: OrderPayload } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}
interface OrderPayload {
  id: string;
  state: string;
  items: { quantity: number; product: { name: string; price: { amount: string } } }[];
}

const SUBSCRIPTION = `
  subscription Follow($orderId: ID!) {
    orderStatusChanged(orderId: $orderId) {
      id
      state: status
      items { quantity product { name price { amount } } }
    }
  }`;

describe('orderStatusChanged through the gateway', () => {
  const stoppables: Stoppable[] = [];
  const clients: Client[] = [];
  let dir: string;
  let kafka: Kafka;
  let producer: Producer;
  let checkoutTopic: string;
  let gatewayA: RunningGateway;
  let gatewayB: RunningGateway;
  let orderId: string;
  const alice = uniqueName('alice');
  let aliceToken: string;
  let adminToken: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gateway-subscriptions-'));
    kafka = createKafka({
      clientId: 'gateway-sub-test',
      brokers: infra.kafkaBrokers,
      logger: silentLogger,
    });
    const [orderTopic, dlqTopic] = [uniqueName('order-events'), uniqueName('checkout-dlq')];
    checkoutTopic = uniqueName('checkout-events');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [checkoutTopic, orderTopic, dlqTopic].map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: true,
    });
    await admin.disconnect();

    const product = await createProductService(
      loadProductConfig({
        PORT: '0',
        GRPC_PORT: '0',
        PRODUCT_DATABASE_URL: `file:${path.join(dir, 'product.db')}`,
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'silent',
      }),
    );
    stoppables.push(product);
    const db = await createTestDatabase('gateway_sub');
    stoppables.push({ stop: db.drop });
    const orders = await createOrdersService(
      loadOrdersConfig({
        PORT: '0',
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'silent',
        POSTGRES_URL: db.url,
        CHECKOUT_EVENTS_TOPIC: checkoutTopic,
        CHECKOUT_EVENTS_DLQ_TOPIC: dlqTopic,
        ORDER_EVENTS_TOPIC: orderTopic,
        CONSUMER_GROUP: uniqueName('orders'),
      }),
    );
    stoppables.unshift(orders);

    const startGateway = async () => {
      const config = loadGatewayConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        JWT_SECRET: TEST_JWT_SECRET,
        PRODUCT_SUBGRAPH_URL: product.graphqlUrl,
        ORDERS_SUBGRAPH_URL: orders.graphqlUrl,
      });
      const gateway = await createGateway(config, {
        logger: silentLogger,
        attachments: [orderSubscriptions({ kafka, topic: orderTopic })],
      });
      stoppables.unshift(gateway);
      await gateway.ready;
      return gateway;
    };
    // Two instances, as behind a load balancer: each subscriber must still hear a change once.
    gatewayA = await startGateway();
    gatewayB = await startGateway();

    aliceToken = await testToken(alice);
    adminToken = await testToken(uniqueName('staff'), { scope: 'admin' });
    producer = kafka.producer();
    await producer.connect();
    const event: events.CheckoutCompletedV1 = {
      eventId: crypto.randomUUID(),
      eventType: 'CheckoutCompleted',
      version: 1,
      occurredAt: new Date().toISOString(),
      checkoutId: crypto.randomUUID(),
      userId: alice,
      items: [
        { productId: '1', name: 'Laptop', quantity: 1, unitPrice: '1299.99' },
        { productId: '2', name: 'Mouse', quantity: 2, unitPrice: '29.99' },
      ],
      total: '1359.97',
      currency: 'USD',
    };
    await producer.send({
      topic: checkoutTopic,
      messages: [{ key: alice, value: JSON.stringify(event) }],
    });
    orderId = await waitFor(
      async () => {
        const res = await graphqlRequest<{ orders: { edges: { node: { id: string } }[] } }>(
          gatewayA.url,
          '{ orders(first: 1) { edges { node { id } } } }',
          {},
          aliceToken,
        );
        return res.data?.orders.edges[0]?.node.id;
      },
      { what: "alice's order" },
    );
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await producer?.disconnect();
    for (const s of stoppables) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function connect(gateway: RunningGateway, token?: string): Client {
    const client = createClient({
      url: gateway.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  }

  function follow(client: Client, id: string) {
    const received: Received[] = [];
    let error: unknown;
    client.subscribe<Received['data']>(
      { query: SUBSCRIPTION, variables: { orderId: id } },
      {
        next: (message) => void received.push(message as Received),
        error: (err) => (error = err),
        complete: () => undefined,
      },
    );
    return { received, error: () => error };
  }

  async function subscriptionsListening(gateway: RunningGateway): Promise<number> {
    const text = await (await fetch(new URL('/metrics', gateway.url))).text();
    return Number(/^gateway_order_subscriptions (\d+)/m.exec(text)?.[1] ?? 0);
  }

  async function setStatus(status: string) {
    const res = await graphqlRequest(
      gatewayA.url,
      'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }',
      { id: orderId, s: status },
      adminToken,
    );
    expect(res.errors).toBeUndefined();
  }

  test('the owner hears each change once, with federated fields resolved, on any instance', async () => {
    const onA = follow(connect(gatewayA, aliceToken), orderId);
    const onB = follow(connect(gatewayB, aliceToken), orderId);
    // Both instances share one process here, so one gauge counts both subscriptions.
    await waitFor(async () => (await subscriptionsListening(gatewayA)) >= 2, {
      what: 'two subscriptions listening',
    });

    await setStatus('PROCESSING');
    await setStatus('SHIPPED');
    for (const sub of [onA, onB]) {
      await waitFor(
        () => sub.received.some((m) => m.data?.orderStatusChanged?.state === 'SHIPPED'),
        {
          what: 'SHIPPED to arrive',
        },
      );
    }
    await new Promise((r) => setTimeout(r, 1000)); // a duplicate would have arrived by now

    for (const sub of [onA, onB]) {
      const states = sub.received
        .map((m) => m.data?.orderStatusChanged?.state)
        .filter((s) => s !== 'CONFIRMED'); // the creation event may or may not precede us
      expect(states).toEqual(['PROCESSING', 'SHIPPED']);
      const order = sub.received.at(-1)?.data?.orderStatusChanged;
      expect(order?.id).toBe(orderId);
      // Names and prices come from the product subgraph through the query planner.
      expect(order?.items).toEqual([
        { quantity: 1, product: { name: 'Laptop', price: { amount: '1299.99' } } },
        { quantity: 2, product: { name: 'Mouse', price: { amount: '29.99' } } },
      ]);
    }
  });

  test("another user cannot follow someone else's order", async () => {
    const bob = follow(connect(gatewayA, await testToken(uniqueName('bob'))), orderId);
    await waitFor(() => bob.received.length > 0 || bob.error(), { what: 'an answer for bob' });
    expect(bob.received[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(bob.received.some((m) => m.data?.orderStatusChanged)).toBe(false);
  });

  test('a connection without a valid token is closed as forbidden', async () => {
    for (const token of [undefined, 'not-a-jwt']) {
      const sub = follow(connect(gatewayA, token), orderId);
      const error = await waitFor(() => sub.error(), { what: 'the socket to close' });
      expect((error as { code?: number }).code).toBe(4403);
      expect(sub.received).toEqual([]);
    }
  });
});
