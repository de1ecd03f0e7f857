/**
 * Helpers for the orders subgraph's integration tests: unique Kafka topics, CheckoutCompleted
 * events as the checkout subgraph produces them, and readers for what lands on a topic.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import { createKafka, events } from '@shop/shared';
import { infra, uniqueName, waitFor } from '@shop/shared/src/testing';

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function testKafka(clientId = 'orders-test'): Kafka {
  return createKafka({ clientId, brokers: infra.kafkaBrokers, logger: silentLogger });
}

/** Creates topics no other test uses; returns their names in the order asked. */
export async function createTopics(
  kafka: Kafka,
  specs: { prefix: string; partitions: number }[],
): Promise<string[]> {
  const names = specs.map((s) => uniqueName(s.prefix));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: specs.map((s, i) => ({ topic: names[i]!, numPartitions: s.partitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return names;
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } catch {
    // Best effort: a leftover uniquely named topic harms nobody.
  } finally {
    await admin.disconnect();
  }
}

/** A CheckoutCompleted v1 as the checkout subgraph writes it to its outbox. */
export function checkoutCompleted(
  overrides: Partial<events.CheckoutCompletedV1> = {},
): events.CheckoutCompletedV1 {
  return events.CheckoutCompletedV1.parse({
    eventId: randomUUID(),
    eventType: 'CheckoutCompleted',
    version: 1,
    occurredAt: new Date().toISOString(),
    checkoutId: randomUUID(),
    userId: uniqueName('user'),
    items: [
      { productId: '3', name: 'Desk lamp', quantity: 2, unitPrice: '19.99' },
      { productId: '7', name: 'Notebook', quantity: 1, unitPrice: '4.50' },
    ],
    total: '44.48',
    currency: 'USD',
    ...overrides,
  });
}

/** Produces raw messages (value as given) keyed like the checkout relay keys them (userId). */
export async function produce(
  producer: Producer,
  topic: string,
  messages: { key: string; value: string | Buffer | null; headers?: IHeaders }[],
): Promise<void> {
  await producer.send({ topic, acks: -1, messages });
}

export function asMessage(event: events.CheckoutCompletedV1) {
  return {
    key: event.userId,
    value: JSON.stringify(event),
    headers: { 'event-type': event.eventType },
  };
}

export interface ReadMessage {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Collects every message of `topic` from the beginning, in arrival order, until stopped. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
): Promise<{ messages: ReadMessage[]; stop: () => Promise<void> }> {
  const messages: ReadMessage[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('orders-test-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        headers[name] = Array.isArray(value) ? String(value[0]) : String(value ?? '');
      }
      messages.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers,
        partition,
        offset: message.offset,
      });
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}

/**
 * Waits until `groupId` has committed offsets covering `count` messages of `topic` (a fresh
 * topic, so offsets start at 0): the consumer has settled every message produced so far.
 */
export async function waitForCommitted(
  kafka: Kafka,
  groupId: string,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const committed = (offsets?.partitions ?? []).reduce(
          (sum, p) => sum + Math.max(0, Number(p.offset)),
          0,
        );
        return committed >= count;
      },
      { what: `${groupId} to commit ${count} messages of ${topic}`, timeoutMs, intervalMs: 200 },
    );
  } finally {
    await admin.disconnect();
  }
}
