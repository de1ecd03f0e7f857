/**
 * Cart clearing as it runs in production, on the real servers: CheckoutCompleted events on
 * Kafka (topics and consumer groups of this file only), carts on FerretDB behind the Redis
 * cache, products from the real product service, reads through the gateway.
 */
import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import { createKafka, events } from '@shop/shared';
import { graphqlRequest, infra, testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import {
  committedOffsets,
  createTopics,
  deleteTopics,
  readTopic,
  waitForCommittedPast,
} from '@shop/shared/src/testing/kafka';
import { startTcpProxy } from '@shop/shared/src/testing/tcpProxy';
import { loadCartConfig } from '../src/config';
import { checkoutEventOutcomes, checkoutEventRetries } from '../src/events/checkoutEventsConsumer';
import { cacheLookups, counterValue } from '../src/metrics';
import { startShop, type Shop } from './shop';
import { CART_FIELDS, CART_QUERY, startCartService, type CartData } from './support';

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const ADD = `${CART_FIELDS} mutation ($id: ID!, $q: Int!) { addToCart(productId: $id, quantity: $q) { ...CartFields } }`;

let kafka: Kafka;
let producer: Producer;
const topics: string[] = [];

/** Fresh topics and group for one consumer, and the cart env that points it at them. */
async function consumerSetup() {
  const [topic, dlq] = await createTopics(kafka, [
    { prefix: 'checkout-events', partitions: 3 },
    { prefix: 'checkout-events-dlq', partitions: 1 },
  ]);
  topics.push(topic!, dlq!);
  const groupId = uniqueName('cart-service');
  return {
    topic: topic!,
    dlq: dlq!,
    groupId,
    env: {
      CART_CONSUMER_ENABLED: 'true',
      CHECKOUT_EVENTS_TOPIC: topic!,
      CHECKOUT_EVENTS_DLQ_TOPIC: dlq!,
      CART_CONSUMER_GROUP: groupId,
      CART_CONSUMER_RETRY_BACKOFF_MS: '50',
      CART_CONSUMER_RETRY_MAX_BACKOFF_MS: '500',
    },
  };
}

/** A CheckoutCompleted v1 as the checkout subgraph publishes it (every product at 1.00). */
function checkoutCompleted(
  userId: string,
  items: [productId: string, quantity: number][],
): events.CheckoutCompletedV1 {
  return events.CheckoutCompletedV1.parse({
    eventId: randomUUID(),
    eventType: 'CheckoutCompleted',
    version: 1,
    occurredAt: new Date().toISOString(),
    checkoutId: randomUUID(),
    userId,
    items: items.map(([productId, quantity]) => ({
      productId,
      name: `Product ${productId}`,
      quantity,
      unitPrice: '1.00',
    })),
    total: `${items.reduce((sum, [, q]) => sum + q, 0)}.00`,
    currency: 'USD',
  });
}

type Message = { key: string; value: string | null; headers?: IHeaders };
const asMessage = (event: Record<string, unknown> & { userId: string }): Message => ({
  key: event.userId,
  value: JSON.stringify(event),
});

/**
 * Publishes messages with one key (so to one partition, in order) and returns where the last
 * one landed; `first` is the offset of the first.
 */
async function publish(topic: string, messages: Message[]) {
  const [meta] = await producer.send({ topic, acks: -1, messages });
  const first = Number(meta!.baseOffset);
  return { topic, partition: meta!.partition, offset: first + messages.length - 1, first };
}

/** How many messages a topic holds (its high watermarks), however many were read. */
async function topicSize(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A shopper using the API at `url` (a gateway, or the cart subgraph itself). */
async function shopper(url: string) {
  const userId = uniqueName('shopper');
  const token = await testToken(userId);
  return {
    userId,
    add: async (productId: string, quantity: number) => {
      const res = await graphqlRequest(url, ADD, { id: productId, q: quantity }, token);
      expect(res.errors).toBeUndefined();
    },
    view: async () => {
      const res = await graphqlRequest<{ cart: CartData }>(url, CART_QUERY, {}, token);
      expect(res.errors).toBeUndefined();
      return res.data!.cart;
    },
  };
}

const lines = (cart: { items: { product: { id: string }; quantity: number }[] }) =>
  cart.items.map((i) => [i.product.id, i.quantity]);

beforeAll(async () => {
  kafka = createKafka({ clientId: 'cart-test', brokers: infra.kafkaBrokers, logger: silent });
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await deleteTopics(kafka, topics);
});

describe('cart-clearing configuration', () => {
  it('consumes checkout-events as group cart-service by default, dead-lettering to checkout-events.dlq', () => {
    expect(loadCartConfig({})).toMatchObject({
      kafkaBrokers: ['127.0.0.1:9092'],
      consumer: { enabled: true, groupId: 'cart-service' },
      topics: { checkoutEvents: 'checkout-events', checkoutEventsDlq: 'checkout-events.dlq' },
    });
    expect(loadCartConfig({ CART_CONSUMER_ENABLED: 'false' }).consumer.enabled).toBe(false);
    expect(() => loadCartConfig({ CART_CONSUMER_MAX_ATTEMPTS: '0' })).toThrow(
      /CART_CONSUMER_MAX_ATTEMPTS/,
    );
  });
});

describe('cart clearing from CheckoutCompleted (real Kafka, FerretDB, Redis, product service)', () => {
  let shop: Shop;
  let setup: Awaited<ReturnType<typeof consumerSetup>>;
  const settled = (at: { topic: string; partition: number; offset: number }) =>
    waitForCommittedPast(kafka, setup.groupId, at);

  beforeAll(async () => {
    setup = await consumerSetup();
    shop = await startShop({ cartEnv: setup.env });
  });

  afterAll(async () => {
    await shop?.stop();
  });

  it('removes exactly the checked-out quantities, and the very next read (from the cache) shows it', async () => {
    const me = await shopper(shop.gateway.url);
    await me.add('1', 3);
    await me.add('2', 1);
    await me.add('3', 2);
    // Read once, so the cart is in Redis before the consumer changes it.
    expect(lines(await me.view())).toEqual([
      ['1', 3],
      ['2', 1],
      ['3', 2],
    ]);

    const at = await publish(setup.topic, [
      asMessage(
        checkoutCompleted(me.userId, [
          ['1', 2],
          ['2', 1],
        ]),
      ),
    ]);
    await settled(at);

    // No polling: once the offset is committed, the write and its cache update are done.
    const hits = await counterValue(cacheLookups, { result: 'hit' });
    expect(lines(await me.view())).toEqual([
      ['1', 1],
      ['3', 2],
    ]);
    expect(await counterValue(cacheLookups, { result: 'hit' })).toBe(hits + 1);
    expect(lines(await shop.cart.carts.readFromStore(me.userId).then(toView))).toEqual([
      ['1', 1],
      ['3', 2],
    ]);
  });

  it('keeps what the shopper added after the checkout snapshot', async () => {
    const me = await shopper(shop.gateway.url);
    await me.add('1', 2);
    await me.add('2', 1);
    const snapshot = lines(await me.view()) as [string, number][];
    // While the checkout runs: more of product 1, and a new product 4.
    await me.add('1', 3);
    await me.add('4', 1);

    await settled(await publish(setup.topic, [asMessage(checkoutCompleted(me.userId, snapshot))]));
    expect(lines(await me.view())).toEqual([
      ['1', 3],
      ['4', 1],
    ]);
  });

  it('a duplicate delivery changes nothing, even under a new event id', async () => {
    const me = await shopper(shop.gateway.url);
    await me.add('1', 5);
    const event = checkoutCompleted(me.userId, [['1', 2]]);
    await settled(await publish(setup.topic, [asMessage(event)]));
    await me.add('1', 1);
    const before = await me.view();
    expect(lines(before)).toEqual([['1', 4]]);

    const duplicates = await counterValue(checkoutEventOutcomes, { outcome: 'duplicate' });
    // The relay re-sending the same message, and a producer re-sending the checkout.
    await settled(
      await publish(setup.topic, [
        asMessage(event),
        asMessage({ ...event, eventId: randomUUID() }),
      ]),
    );
    expect(await me.view()).toEqual(before); // same lines, same updatedAt: no new version
    expect(await counterValue(checkoutEventOutcomes, { outcome: 'duplicate' })).toBe(
      duplicates + 2,
    );
  });

  it('dead-letters poison with the reason and where it came from, skips other event types, and still applies the next good event', async () => {
    const me = await shopper(shop.gateway.url);
    await me.add('1', 2);
    await me.add('2', 1);
    const key = me.userId; // one key: everything on one partition, the good event last
    const poison: Message[] = [
      { key, value: '{"eventType": "CheckoutCompleted", "version": 1,', headers: { trace: 't-1' } },
      asMessage({ ...checkoutCompleted(key, [['1', 1]]), version: 2 }),
      asMessage({
        ...checkoutCompleted(key, [['1', 1]]),
        items: [{ productId: '1', name: 'Laptop', quantity: 0, unitPrice: '1.00' }],
      }),
    ];
    const otherType = asMessage({
      ...checkoutCompleted(key, [['2', 1]]),
      eventType: 'CheckoutFailed',
    });
    const good = checkoutCompleted(key, [['1', 2]]);
    const at = await publish(setup.topic, [...poison, otherType, asMessage(good)]);
    await settled(at);

    expect(lines(await me.view())).toEqual([['2', 1]]);

    // Every dead letter was acknowledged before the commit: read the whole topic, keep ours.
    const reader = await readTopic(kafka, setup.dlq);
    try {
      const size = await topicSize(setup.dlq);
      await waitFor(() => reader.messages.length >= size, { what: 'the whole dead-letter topic' });
      const letters = reader.messages.filter((m) => m.key === key);
      expect(letters.map((m) => m.value)).toEqual(poison.map((p) => p.value));
      expect(letters.map((m) => m.headers['dlq-source-offset'])).toEqual(
        [0, 1, 2].map((i) => String(at.first + i)),
      );
      for (const letter of letters) {
        expect(letter.headers).toMatchObject({
          'dlq-reason': 'poison',
          'dlq-source-topic': setup.topic,
          'dlq-source-partition': String(at.partition),
          'dlq-consumer-group': setup.groupId,
          'dlq-attempts': '1',
        });
      }
      expect(letters[0]!.headers.trace).toBe('t-1'); // the original headers travel along
      expect(letters[0]!.headers['dlq-error']).toContain('not JSON');
      expect(letters[1]!.headers['dlq-error']).toContain('unknown CheckoutCompleted version 2');
      expect(letters[2]!.headers['dlq-error']).toContain('items.0.quantity');
    } finally {
      await reader.stop();
    }
  });

  it('Kafka unreachable at start: carts are served, the consumer keeps trying, and clears the cart once Kafka is back', async () => {
    const kafkaAddress = infra.kafkaBrokers[0]!.split(':');
    const proxy = await startTcpProxy({ host: kafkaAddress[0]!, port: Number(kafkaAddress[1]) });
    try {
      await proxy.cut();
      const own = await consumerSetup();
      const { gateway, cart } = await shop.withCart(
        { ...own.env, KAFKA_BROKERS: `127.0.0.1:${proxy.port}` },
        // One connection attempt gives up quickly, so the test sees several restarts.
        {
          kafkaRetry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 },
          consumerRestartBackoffMs: 200,
        },
      );
      const me = await shopper(gateway.url);
      await me.add('1', 2);
      await me.add('2', 1);
      const at = await publish(own.topic, [asMessage(checkoutCompleted(me.userId, [['1', 2]]))]);

      // Carts work and the instance stays in rotation: Kafka is not needed to serve them.
      expect(lines(await me.view())).toEqual([
        ['1', 2],
        ['2', 1],
      ]);
      const ready = await fetch(cart.graphqlUrl.replace('/graphql', '/health/ready'));
      expect(ready.status).toBe(200);
      expect(cart.consumer?.isRunning()).toBe(false);

      await proxy.restore();
      await waitForCommittedPast(kafka, own.groupId, at, 45_000);
      expect(cart.consumer?.isRunning()).toBe(true);
      expect(lines(await me.view())).toEqual([['2', 1]]);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});

describe('cart clearing while MongoDB is unreachable (a TCP proxy in front of FerretDB, cut)', () => {
  const mongo = new URL(infra.mongoUrl);

  /** A cart service whose MongoDB connection goes through a proxy the test can cut. */
  async function cartBehindProxy(env: Record<string, string>) {
    const proxy = await startTcpProxy({ host: mongo.hostname, port: Number(mongo.port || 27017) });
    const dbName = uniqueName('cart_test');
    const cart = await startCartService({
      ...env,
      MONGO_URL: `mongodb://127.0.0.1:${proxy.port}/${dbName}`,
    });
    return { proxy, cart, dbName };
  }

  const unavailableRetries = () =>
    counterValue(checkoutEventRetries, { cause: 'store_unavailable' });

  it('holds the event back, never dead-letters it, and applies it once MongoDB is back', async () => {
    const own = await consumerSetup();
    const { proxy, cart } = await cartBehindProxy(own.env);
    try {
      const userId = uniqueName('shopper');
      await cart.carts.addItem(userId, '1', 4);
      await cart.carts.addItem(userId, '2', 1);

      await proxy.cut();
      const retries = await unavailableRetries();
      const at = await publish(own.topic, [asMessage(checkoutCompleted(userId, [['1', 3]]))]);
      // Two failed attempts at least: it is retrying, not giving up.
      await waitFor(async () => (await unavailableRetries()) >= retries + 2, {
        what: 'retries while MongoDB is unreachable',
        timeoutMs: 30_000,
      });
      expect(
        (await committedOffsets(kafka, own.groupId, own.topic)).get(at.partition) ?? -1,
      ).toBeLessThanOrEqual(0);

      await proxy.restore();
      await waitForCommittedPast(kafka, own.groupId, at);
      expect(lines(toView(await cart.carts.readFromStore(userId)))).toEqual([
        ['1', 1],
        ['2', 1],
      ]);
      expect(await topicSize(own.dlq)).toBe(0);
    } finally {
      await proxy.restore().catch(() => undefined);
      await cart.stopAndDrop();
      await proxy.close();
    }
  }, 90_000);

  it('stopping during the outage returns without committing, and the next instance applies the event once', async () => {
    const own = await consumerSetup();
    const { proxy, cart, dbName } = await cartBehindProxy(own.env);
    let next: Awaited<ReturnType<typeof startCartService>> | undefined;
    let stopped = false;
    try {
      const userId = uniqueName('shopper');
      await cart.carts.addItem(userId, '1', 4);
      await proxy.cut();
      const retries = await unavailableRetries();
      const at = await publish(own.topic, [asMessage(checkoutCompleted(userId, [['1', 3]]))]);
      await waitFor(async () => (await unavailableRetries()) > retries, {
        what: 'a retry while MongoDB is unreachable',
        timeoutMs: 30_000,
      });

      await cart.stop(); // consuming stops first; it must not wait for MongoDB
      stopped = true;
      expect(
        (await committedOffsets(kafka, own.groupId, own.topic)).get(at.partition) ?? -1,
      ).toBeLessThanOrEqual(0);

      await proxy.restore();
      next = await startCartService({ ...own.env, MONGO_URL: `${infra.mongoUrl}/${dbName}` });
      await waitForCommittedPast(kafka, own.groupId, at);
      // 4 − 3 = 1: applied, and applied once.
      expect(lines(toView(await next.carts.readFromStore(userId)))).toEqual([['1', 1]]);
      expect(await topicSize(own.dlq)).toBe(0);
    } finally {
      if (!stopped) await cart.stop().catch(() => undefined);
      await next?.stopAndDrop();
      await proxy.close();
    }
  }, 90_000);
});

/** A repository cart in the shape the GraphQL reads are compared in. */
function toView(cart: { lines: readonly { productId: string; quantity: number }[] }) {
  return { items: cart.lines.map((l) => ({ product: { id: l.productId }, quantity: l.quantity })) };
}
