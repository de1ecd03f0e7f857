import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';

/** Where a dead letter came from and why it could not be processed. */
export interface DeadLetterSource {
  topic: string;
  partition: number;
  message: KafkaMessage;
  groupId: string;
  /** `poison` (never processable) or `processing-failed` (failed every attempt). */
  reason: 'poison' | 'processing-failed';
  error: unknown;
  attempts: number;
}

/**
 * The dead-letter format every consumer of this shop writes: the original key, value and
 * headers unchanged (so the copy can be replayed onto the source topic as it was), plus `dlq-*`
 * headers saying why, from where (topic, partition, offset) and which consumer group gave up.
 */
export function deadLetterHeaders(source: DeadLetterSource, failedAt = new Date()): IHeaders {
  const { error } = source;
  return {
    ...source.message.headers,
    'dlq-reason': source.reason,
    'dlq-error': error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    'dlq-source-topic': source.topic,
    'dlq-source-partition': String(source.partition),
    'dlq-source-offset': source.message.offset,
    'dlq-consumer-group': source.groupId,
    'dlq-attempts': String(source.attempts),
    'dlq-failed-at': failedAt.toISOString(),
  };
}

/**
 * Writes one dead letter and resolves once every in-sync replica has it (acks = -1): only then
 * may the consumer commit the source offset past the message. One attempt; the caller retries.
 */
export async function sendDeadLetter(
  producer: Producer,
  deadLetterTopic: string,
  source: DeadLetterSource,
): Promise<void> {
  await producer.send({
    topic: deadLetterTopic,
    acks: -1,
    messages: [
      { key: source.message.key, value: source.message.value, headers: deadLetterHeaders(source) },
    ],
  });
}
