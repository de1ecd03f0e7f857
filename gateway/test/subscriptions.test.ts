import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Kafka, Producer } from 'kafkajs';
import { createKafka, events } from '@shop/shared';
import {
  createTestDatabase,
  freePort,
  graphqlRequest,
  infra,
  TEST_JWT_SECRET,
  testToken,
  uniqueName,
  waitFor,
} from '@shop/shared/src/testing';
import { createOrdersService } from '@shop/orders-subgraph/src/service';
import { loadOrdersConfig } from '@shop/orders-subgraph/src/config';
import { loadGatewayConfig } from '../src/config';
import { createGateway, type RunningGateway } from '../src/service';
import { orderSubscriptions } from '../src/subscriptions';
import type { SubscriptionLimits } from '../src/subscriptions/subscriptionServer';
import { silentLogger, startProductService } from './support';

type Stoppable = { stop: () => Promise<void> };

const INFRA = path.resolve(__dirname, '../../scripts/infra.sh');
const kafkaCommand = (command: 'stop' | 'start') =>
  execFileSync('bash', [INFRA, command, 'kafka'], { stdio: 'ignore' });

interface Received {
  data?: { orderStatusChanged?: OrderPayload } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}
interface OrderPayload {
  id: string;
  state: string;
  version: number;
  items: { quantity: number; product: { name: string; price: { amount: string } } }[];
}

const SUBSCRIPTION = `
  subscription Follow($orderId: ID!, $since: Int) {
    orderStatusChanged(orderId: $orderId, sinceVersion: $since) {
      id
      state: status
      version
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
  let startGateway: (
    limits?: Partial<SubscriptionLimits>,
    env?: Record<string, string>,
  ) => Promise<RunningGateway>;
  let orderTopic: string;
  let orderId: string;
  /** The orders service's own store: changes committed back to back, faster than a read. */
  let orderStore: {
    changeStatus: (
      id: string,
      to: 'PROCESSING' | 'SHIPPED' | 'DELIVERED',
    ) => Promise<{ kind: string }>;
  };
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
    orderTopic = uniqueName('order-events');
    const dlqTopic = uniqueName('checkout-dlq');
    checkoutTopic = uniqueName('checkout-events');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [checkoutTopic, orderTopic, dlqTopic].map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: true,
    });
    await admin.disconnect();

    const product = await startProductService(path.join(dir, 'product.db'));
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
    orderStore = orders.store;

    startGateway = async (limits = {}, env = {}) => {
      const config = loadGatewayConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        JWT_SECRET: TEST_JWT_SECRET,
        PRODUCT_SUBGRAPH_URL: product.graphqlUrl,
        ORDERS_SUBGRAPH_URL: orders.graphqlUrl,
        ...env,
      });
      const gateway = await createGateway(config, {
        logger: silentLogger,
        attachments: [orderSubscriptions({ kafka, topic: orderTopic, limits })],
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
    orderId = await createOrder(alice, aliceToken);
  });

  /** Completes a checkout for `user` and waits for its order, read through the gateway. */
  async function createOrder(
    user: string,
    token: string,
    items: events.CheckoutCompletedV1['items'] = [
      { productId: '1', name: 'Laptop', quantity: 1, unitPrice: '1299.99' },
      { productId: '2', name: 'Mouse', quantity: 2, unitPrice: '29.99' },
    ],
  ): Promise<string> {
    const event: events.CheckoutCompletedV1 = {
      eventId: crypto.randomUUID(),
      eventType: 'CheckoutCompleted',
      version: 1,
      occurredAt: new Date().toISOString(),
      checkoutId: crypto.randomUUID(),
      userId: user,
      items,
      total: items
        .reduce((sum, item) => sum + item.quantity * Math.round(Number(item.unitPrice) * 100), 0)
        .toString()
        .replace(/(\d\d)$/, '.$1'),
      currency: 'USD',
    };
    await producer.send({
      topic: checkoutTopic,
      messages: [{ key: user, value: JSON.stringify(event) }],
    });
    return waitFor(
      async () => {
        const res = await graphqlRequest<{
          orders: { edges: { node: { id: string; checkoutId: string } }[] };
        }>(gatewayA.url, '{ orders(first: 20) { edges { node { id checkoutId } } } }', {}, token);
        return res.data?.orders.edges.find((e) => e.node.checkoutId === event.checkoutId)?.node.id;
      },
      { what: `the order of ${user}` },
    );
  }

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

  function follow(client: Client, id: string, since?: number, query = SUBSCRIPTION) {
    const received: Received[] = [];
    let error: unknown;
    client.subscribe<Received['data']>(
      { query, variables: { orderId: id, since } },
      {
        next: (message) => void received.push(message as Received),
        error: (err) => (error = err),
        complete: () => undefined,
      },
    );
    return { received, error: () => error };
  }

  async function metric(gateway: RunningGateway, name: string): Promise<number> {
    const text = await (await fetch(new URL('/metrics', gateway.url))).text();
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  }
  const subscriptionsListening = (gateway: RunningGateway) =>
    metric(gateway, 'gateway_order_subscriptions');

  /**
   * Opens subscriptions with `open` and waits until the gauge counts `count` more. The gauge
   * counts every subscription open in this process (the gateways share one registry, and
   * earlier tests' subscriptions stay open until afterAll), so it is read before they open:
   * "at least n" alone could be met by earlier ones while these are still registering.
   */
  async function whenListening<T>(count: number, open: () => T): Promise<T> {
    const before = await subscriptionsListening(gatewayA);
    const opened = open();
    await waitFor(async () => (await subscriptionsListening(gatewayA)) >= before + count, {
      what: `${count} more subscription(s) listening`,
    });
    return opened;
  }

  /** Changes the order's status as staff; returns the order's new version. */
  async function setStatus(status: string, id = orderId): Promise<number> {
    const res = await graphqlRequest<{ updateOrderStatus: { version: number } }>(
      gatewayA.url,
      'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { version } }',
      { id, s: status },
      adminToken,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.updateOrderStatus.version;
  }

  const states = (sub: { received: Received[] }) =>
    sub.received.map((m) => m.data?.orderStatusChanged?.state);
  const versions = (sub: { received: Received[] }) =>
    sub.received.map((m) => m.data?.orderStatusChanged?.version);
  const settle = () => new Promise((r) => setTimeout(r, 1000)); // a duplicate would be here by now

  test('the owner hears each change once, with federated fields resolved, on any instance', async () => {
    // Both instances share one process here, so one gauge counts both subscriptions.
    const [onA, onB] = await whenListening(2, () => [
      follow(connect(gatewayA, aliceToken), orderId),
      follow(connect(gatewayB, aliceToken), orderId),
    ]);

    await setStatus('PROCESSING');
    for (const sub of [onA, onB]) {
      await waitFor(() => states(sub).includes('PROCESSING'), { what: 'PROCESSING to arrive' });
    }
    await setStatus('SHIPPED');
    for (const sub of [onA, onB]) {
      await waitFor(
        () => sub.received.some((m) => m.data?.orderStatusChanged?.state === 'SHIPPED'),
        {
          what: 'SHIPPED to arrive',
        },
      );
    }
    await settle();

    for (const sub of [onA, onB]) {
      expect(states(sub)).toEqual(['PROCESSING', 'SHIPPED']);
      expect(versions(sub)).toEqual([2, 3]);
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

  /** Counter value summed over its labels (both in-process gateways share one registry). */
  async function counter(gateway: RunningGateway, name: string, labels = ''): Promise<number> {
    // A fresh connection each time: a kept-alive one may be closed by the server under load.
    const text = await (
      await fetch(new URL('/metrics', gateway.url), { headers: { connection: 'close' } })
    ).text();
    const re = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\d+)`, 'gm');
    return [...text.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  }

  async function newCustomer(
    items?: events.CheckoutCompletedV1['items'],
  ): Promise<{ user: string; token: string; orderId: string }> {
    const user = uniqueName('customer');
    const token = await testToken(user);
    return { user, token, orderId: await createOrder(user, token, items) };
  }

  test('every subscriber of a busy order gets each change once, in order, even when they commit back to back', async () => {
    const { token, orderId: id } = await newCustomer();
    const subs = await whenListening(16, () =>
      [gatewayA, gatewayB].flatMap((g) =>
        Array.from({ length: 8 }, () => follow(connect(g, token), id)),
      ),
    );
    const readsBefore = await counter(gatewayA, 'gateway_subscription_reads_total');

    // No waiting between the changes: all three commit before the gateways have read the first,
    // so reading "the order now" would skip versions 2 and 3.
    for (const status of ['PROCESSING', 'SHIPPED', 'DELIVERED'] as const) {
      expect((await orderStore.changeStatus(id, status)).kind).toBe('changed');
    }
    for (const sub of subs) {
      await waitFor(() => sub.received.at(-1)?.data?.orderStatusChanged?.version === 4, {
        what: 'DELIVERED (version 4) to reach every subscriber',
      });
    }
    await settle();
    for (const sub of subs) {
      // Each version once, in order, each as the database held it at that version.
      expect(versions(sub)).toEqual([2, 3, 4]);
      expect(states(sub)).toEqual(['PROCESSING', 'SHIPPED', 'DELIVERED']);
    }
    // Per gateway, one group: one read per change, not one per subscriber (48).
    const reads = (await counter(gatewayA, 'gateway_subscription_reads_total')) - readsBefore;
    expect(reads).toBeLessThanOrEqual(2 * 3);
  });

  test('a reconnect with sinceVersion receives the change it missed at once, then the live ones', async () => {
    const { token, orderId: id } = await newCustomer();
    const first = connect(gatewayA, token);
    const before = await whenListening(1, () => follow(first, id));
    expect(await setStatus('PROCESSING', id)).toBe(2);
    await waitFor(() => versions(before).includes(2), { what: 'version 2' });
    await first.dispose(); // the connection drops…
    expect(await setStatus('SHIPPED', id)).toBe(3); // …and a change happens meanwhile

    const resumed = follow(connect(gatewayB, token), id, 2);
    await waitFor(() => versions(resumed).includes(3), { what: 'the missed version 3' });
    expect(states(resumed)).toEqual(['SHIPPED']);
    expect(await setStatus('DELIVERED', id)).toBe(4);
    await waitFor(() => versions(resumed).includes(4), { what: 'the live version 4' });
    expect(versions(resumed)).toEqual([3, 4]);

    // Up to date already: nothing is sent until something changes.
    const current = follow(connect(gatewayA, token), id, 4);
    await settle();
    expect(current.received).toEqual([]);
  });

  test('a forged or stale order-events message never reaches a client', async () => {
    const { user, token, orderId: id } = await newCustomer();
    const sub = await whenListening(1, () => follow(connect(gatewayA, token), id));
    const forged = (orderVersion: number, status: string) => ({
      eventId: crypto.randomUUID(),
      eventType: 'OrderStatusChanged',
      version: 2,
      occurredAt: new Date().toISOString(),
      orderId: id,
      checkoutId: crypto.randomUUID(),
      userId: user,
      previousStatus: 'CONFIRMED',
      status,
      orderVersion,
    });
    await producer.send({
      topic: orderTopic,
      messages: [
        { key: id, value: JSON.stringify(forged(99, 'CANCELLED')) }, // a version it never had
        { key: id, value: JSON.stringify(forged(2, 'DELIVERED')) }, // the next version, not yet real
        { key: id, value: JSON.stringify(forged(1, 'SHIPPED')) }, // stale
        { key: id, value: JSON.stringify({ ...forged(5, 'DELIVERED'), version: 1 }) }, // V1
      ],
    });
    await new Promise((r) => setTimeout(r, 2000));
    expect(sub.received).toEqual([]);

    // A real change still arrives, with what the database holds.
    await setStatus('PROCESSING', id);
    await waitFor(() => sub.received.length > 0, { what: 'the real change' });
    await settle();
    expect(states(sub)).toEqual(['PROCESSING']);
    expect(versions(sub)).toEqual([2]);
  });

  /** A bare WebSocket speaking graphql-transport-ws by hand, for what graphql-ws hides. */
  function rawSocket(gateway: RunningGateway) {
    const socket = new WebSocket(gateway.url.replace('http', 'ws'), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const opened = new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const acked = async (token: string) => {
      await opened;
      const ack = new Promise<void>((resolve) =>
        socket.on('message', (data) => {
          if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve();
        }),
      );
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
      );
      await ack;
    };
    return { socket, opened, closed, acked };
  }

  // The stalled client must fill the kernel's socket buffers (about 4 MB on loopback here) before
  // ws's bufferedAmount grows, so the order followed is a big one (~250 kB as sent) and each of
  // up to 60 subscriptions is sent it at once; one shared read serves them all.
  test('a stalled reader is closed with 4008 and the others on the gateway are unaffected', async () => {
    const gateway = await startGateway({ maxBufferedBytes: 256 * 1024 });
    const bigOrder = Array.from({ length: 1000 }, (_, i) => ({
      productId: String(i + 1),
      name: `Bulk item ${i} `.padEnd(160, '*'),
      quantity: 1,
      unitPrice: '1.00',
    }));
    const { token, orderId: id } = await newCustomer(bigOrder);
    const other = await newCustomer();
    const healthy = await whenListening(1, () =>
      follow(connect(gateway, other.token), other.orderId),
    );

    // A real WebSocket client whose TCP socket stops reading after connection_ack: what the
    // gateway sends piles up in the kernel's buffers, then in ws's (`bufferedAmount`).
    const stalled = rawSocket(gateway);
    await stalled.acked(token);
    const tcp = (stalled.socket as unknown as { _socket: net.Socket })._socket;
    // ws resumes its socket whenever its parser drains, so resuming is switched off meanwhile.
    const resume = tcp.resume.bind(tcp);
    tcp.resume = () => tcp;
    tcp.pause();
    const big = `subscription($id: ID!) { orderStatusChanged(orderId: $id, sinceVersion: 0) {
      items { productName quantity unitPrice { amount currencyCode } } } }`;
    const closedSlow = () => counter(gateway, 'gateway_subscription_slow_sockets_closed_total');
    const closedBefore = await closedSlow();
    // sinceVersion 0: each subscription is sent the order at once, until the unread data fills
    // the kernel's buffers and then the gateway's budget (60 × 250 kB is several times both).
    for (let i = 0; i < 60 && (await closedSlow()) === closedBefore; i += 5) {
      for (let j = i; j < i + 5; j++) {
        stalled.socket.send(
          JSON.stringify({
            id: String(j),
            type: 'subscribe',
            payload: { query: big, variables: { id } },
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(async () => (await closedSlow()) > closedBefore, {
      what: 'the stalled socket closed as a slow consumer',
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    expect(await closedSlow()).toBe(closedBefore + 1);
    // Reading again at once (the gateway cuts a socket that has not read its close frame within
    // 2 s), the stalled client finds the close frame behind what it had not read.
    tcp.resume = resume;
    tcp.resume();
    expect((await stalled.closed).code).toBe(4008);

    // The healthy subscriber on the same gateway still hears the change at once.
    const changedAt = Date.now();
    await setStatus('PROCESSING', other.orderId);
    await waitFor(() => versions(healthy).includes(2), { what: 'the healthy subscriber' });
    expect(Date.now() - changedAt).toBeLessThan(2000);
    expect(versions(healthy)).toEqual([2]);
  }, 90_000);

  describe('WebSocket limits', () => {
    let limited: RunningGateway;
    beforeAll(async () => {
      limited = await startGateway({
        maxPayloadBytes: 2048,
        connectionInitTimeoutMs: 300,
        maxSubscriptionsPerConnection: 2,
        maxConnectionsPerUser: 2,
        keepaliveMs: 200,
      });
    }, 60_000);

    test('a message above WS_MAX_PAYLOAD_BYTES closes the socket with 1009', async () => {
      const raw = rawSocket(limited);
      await raw.acked(aliceToken);
      raw.socket.send(
        JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'x'.repeat(4096) } }),
      );
      expect((await raw.closed).code).toBe(1009);
    });

    test('a socket that never sends connection_init is closed with 4408', async () => {
      const raw = rawSocket(limited);
      await raw.opened;
      expect(await raw.closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    });

    test('the server pings every WS_KEEPALIVE_MS', async () => {
      const raw = rawSocket(limited);
      await raw.acked(aliceToken);
      await new Promise<void>((resolve) => raw.socket.once('ping', () => resolve()));
      raw.socket.close();
    });

    test('a subscription beyond WS_MAX_SUBSCRIPTIONS_PER_CONNECTION is refused', async () => {
      const { token, orderId: id } = await newCustomer();
      const client = connect(limited, token);
      follow(client, id);
      follow(client, id);
      const third = follow(client, id);
      const error = await waitFor(() => third.error(), { what: 'the third subscription refused' });
      expect(JSON.stringify(error)).toContain('BAD_USER_INPUT');
      expect(JSON.stringify(error)).toContain('already has 2 subscriptions');
    });

    test('a connection beyond WS_MAX_CONNECTIONS_PER_USER is closed with 4429', async () => {
      const { token, orderId: id } = await newCustomer();
      const subs = [1, 2, 3].map(() => follow(connect(limited, token), id));
      await waitFor(async () => (await subscriptionsListening(limited)) >= 2, {
        what: 'two connections',
      });
      const error = await waitFor(() => subs.map((s) => s.error()).find(Boolean), {
        what: 'one connection refused',
      });
      expect((error as { code?: number }).code).toBe(4429);
      expect(subs.filter((s) => s.error())).toHaveLength(1);
    });

    test('a socket whose token expires is closed with 4401 "Token expired"', async () => {
      const user = uniqueName('shortlived');
      const raw = rawSocket(limited);
      await raw.acked(await testToken(user, { expiresIn: '2s' }));
      expect(await raw.closed).toEqual({ code: 4401, reason: 'Token expired' });
    });
  });

  /**
   * The resume loop of the gateway README ("Resuming after a reconnect"), as a client would
   * write it: a graphql-ws client that does not retry by itself, re-subscribing with the last
   * version it showed. Returns what it showed, and a stop function.
   */
  function followResuming(url: string, token: string, id: string) {
    type Order = { status: string; version: number };
    const shown: Order[] = [];
    let stopped = false;
    let client: Client | undefined;
    const FOLLOW = `subscription Follow($orderId: ID!, $since: Int) {
      orderStatusChanged(orderId: $orderId, sinceVersion: $since) { id status version }
    }`;
    const loop = (async () => {
      let since: number | undefined;
      while (!stopped) {
        client = createClient({
          url: url.replace('http', 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${token}` },
          retryAttempts: 0,
        });
        try {
          const updates = client.iterate<{ orderStatusChanged: Order }>({
            query: FOLLOW,
            variables: { orderId: id, since },
          });
          for await (const { data } of updates) {
            const order = data!.orderStatusChanged;
            if (since !== undefined && order.version <= since) continue;
            since = order.version;
            shown.push(order);
          }
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 200)); // dropped: resume from `since`
        } finally {
          await client.dispose();
        }
      }
    })();
    return {
      shown,
      versions: () => shown.map((o) => o.version),
      stop: async () => {
        stopped = true;
        await client?.dispose();
        await loop;
      },
    };
  }

  test('a gateway restarted under a subscriber: the resuming client gets the change made while it was down, then the live ones, each once', async () => {
    const { token, orderId: id } = await newCustomer();
    const port = String(await freePort());
    let gateway = await startGateway({}, { PORT: port, HOST: '127.0.0.1' });
    const before = await subscriptionsListening(gateway); // one gauge for the whole process
    const client = followResuming(gateway.url, token, id);
    try {
      await waitFor(async () => (await subscriptionsListening(gateway)) >= before + 1, {
        what: 'the subscription listening',
      });
      expect(await setStatus('PROCESSING', id)).toBe(2);
      await waitFor(() => client.versions().includes(2), { what: 'version 2' });

      await gateway.stop(); // the subscriber's gateway goes away (a deploy, a crash)…
      stoppables.splice(stoppables.indexOf(gateway), 1);
      expect(await setStatus('SHIPPED', id)).toBe(3); // …a change is made through another…
      await new Promise((r) => setTimeout(r, 500)); // …while the client keeps failing to connect
      gateway = await startGateway({}, { PORT: port, HOST: '127.0.0.1' }); // and it is back

      await waitFor(() => client.versions().includes(3), { what: 'the missed version 3' });
      expect(await setStatus('DELIVERED', id)).toBe(4);
      await waitFor(() => client.versions().includes(4), { what: 'the live version 4' });
      await settle();
      expect(client.shown.map((o) => o.status)).toEqual(['PROCESSING', 'SHIPPED', 'DELIVERED']);
      expect(client.versions()).toEqual([2, 3, 4]);
    } finally {
      await client.stop();
    }
  }, 90_000);

  // Stops the shared Kafka (and starts it again, whatever happens): the suites run in band.
  test('Kafka stopped and restarted under live subscribers: the change committed meanwhile arrives once, in order, on every gateway', async () => {
    const { token, orderId: id } = await newCustomer();
    const subs = await whenListening(2, () =>
      [gatewayA, gatewayB].map((g) => follow(connect(g, token), id)),
    );
    expect(await setStatus('PROCESSING', id)).toBe(2);
    for (const sub of subs) await waitFor(() => versions(sub).includes(2), { what: 'version 2' });

    kafkaCommand('stop');
    try {
      // Committed in the orders database; its event waits in the outbox for the broker.
      expect((await orderStore.changeStatus(id, 'SHIPPED')).kind).toBe('changed');
      await new Promise((r) => setTimeout(r, 2000));
      for (const sub of subs) expect(versions(sub)).toEqual([2]);
    } finally {
      kafkaCommand('start');
    }
    for (const sub of subs) {
      await waitFor(() => versions(sub).includes(3), {
        what: 'the change made during the outage',
        timeoutMs: 120_000,
      });
    }
    expect(await setStatus('DELIVERED', id)).toBe(4);
    for (const sub of subs) {
      await waitFor(() => versions(sub).includes(4), { what: 'the live version 4' });
    }
    await settle();
    for (const sub of subs) {
      expect(versions(sub)).toEqual([2, 3, 4]);
      expect(states(sub)).toEqual(['PROCESSING', 'SHIPPED', 'DELIVERED']);
      expect(sub.error()).toBeUndefined();
    }
  }, 240_000);
});
