/**
 * Kafka helpers for integration tests on the shared broker: topics no other test uses, a reader
 * that collects what lands on a topic, and waits for a consumer group's commits.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { uniqueName, waitFor } from './index';

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
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('test-reader') });
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

/** The offsets `groupId` has committed on `topic`, by partition (-1: none yet). */
export async function committedOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
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
  await waitFor(
    async () => {
      const offsets = await committedOffsets(kafka, groupId, topic);
      return [...offsets.values()].reduce((sum, o) => sum + Math.max(0, o), 0) >= count;
    },
    { what: `${groupId} to commit ${count} messages of ${topic}`, timeoutMs, intervalMs: 200 },
  );
}

/**
 * Waits until `groupId` has committed past the message at `offset` of `partition`, i.e. the
 * consumer has settled it (and every message before it on that partition).
 */
export async function waitForCommittedPast(
  kafka: Kafka,
  groupId: string,
  where: { topic: string; partition: number; offset: string | number },
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () =>
      ((await committedOffsets(kafka, groupId, where.topic)).get(where.partition) ?? -1) >
      Number(where.offset),
    {
      what: `${groupId} to commit past ${where.topic}[${where.partition}]@${where.offset}`,
      timeoutMs,
      intervalMs: 100,
    },
  );
}
