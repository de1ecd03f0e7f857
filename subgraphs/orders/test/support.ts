/**
 * Helpers for the orders subgraph's integration tests: unique Kafka topics, CheckoutCompleted
 * events as the checkout subgraph produces them, and readers for what lands on a topic.
 */
import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import { createKafka, events } from '@shop/shared';
import { infra, uniqueName } from '@shop/shared/src/testing';

export {
  createTopics,
  deleteTopics,
  readTopic,
  waitForCommitted,
  type ReadMessage,
} from '@shop/shared/src/testing/kafka';

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function testKafka(clientId = 'orders-test'): Kafka {
  return createKafka({ clientId, brokers: infra.kafkaBrokers, logger: silentLogger });
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
