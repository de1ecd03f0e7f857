import type { Consumer, EachMessagePayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { trackConsumerLag } from './consumerLag';
import { sendDeadLetter } from './deadLetter';
import { retryDelay, settleMessage, type RetryCause, type SettlePolicy } from './settleMessage';

export interface SettledConsumerOptions<T> extends SettlePolicy<T> {
  /** What it consumes, for logs: "consuming <name>" once running (e.g. "checkout events"). */
  name: string;
  kafka: Kafka;
  logger: Logger;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  /** Group session timeout (default 30 s); heartbeats go at a tenth of it. */
  sessionTimeoutMs?: number;
  /**
   * How many of this member's partitions are handled at once (kafkajs
   * `partitionsConsumedConcurrently`, default 1). Messages of one partition stay strictly in
   * order and each offset is still committed after its own message; only different partitions
   * (different keys) overlap, so use more than 1 only where handlers of different keys may run
   * side by side.
   */
  partitionsConcurrently?: number;
  /** Called once per settled message: `ignored`, `dead_lettered`, or what handle returned. */
  onOutcome?: (outcome: string) => void;
  onRetry?: (cause: RetryCause) => void;
  /** Aborting it before the consumer runs makes the start fail instead of consuming. */
  signal?: AbortSignal;
}

export interface SettledConsumer {
  /** False once stopped, or after kafkajs gave up restarting it after a crash. */
  isRunning: () => boolean;
  /** Resolves when the consumer no longer runs: stop() was called or kafkajs gave up on it. */
  ended: Promise<void>;
  /** Stops fetching, abandons a retry in progress (its offset stays uncommitted), disconnects. */
  stop: () => Promise<void>;
}

/** Thrown out of a handler that was waiting to retry when stop() was called. */
class ConsumerStopping extends Error {
  override name = 'ConsumerStopping';
}

/** How long one wait may last before it heartbeats the group again (below sessionTimeout). */
const HEARTBEAT_EVERY_MS = 1000;

/**
 * A consumer group member that commits a message's offset only once the message is settled
 * (see settleMessage): handled by an idempotent handler, skipped, or safely dead-lettered.
 *
 * Offsets: `autoCommit` is off and `eachMessage` commits the offset after the message itself,
 * after `settleMessage` resolved. A crash at any point before that commit redelivers the message
 * to the partition's next owner, and the handler is idempotent, so each event takes effect
 * exactly once. (kafkajs's auto-commit would also commit only offsets of messages whose handler
 * returned, but later, on a timer; committing per message makes the rule visible here and bounds
 * redelivery after a crash to the one message in flight.) If the commit itself fails, kafkajs
 * delivers the message again and the idempotent handler answers "duplicate".
 *
 * Dead letters keep the original key, value and headers and add `dlq-*` headers (deadLetter.ts);
 * they are written with acks = -1 by an idempotent producer, and retried while Kafka refuses
 * them, before the source offset moves past the message.
 *
 * While a message waits to be retried the handler heartbeats, so the group does not evict a
 * member that is merely patient; a rebalance during the wait surfaces from heartbeat() and the
 * message goes, uncommitted, to the partition's next owner.
 *
 * A new group starts from the beginning of the topic: a consumer deployed for the first time
 * must not skip events published before it first ran (the handler's idempotency makes replaying
 * events it already applied harmless).
 */
export async function startSettledConsumer<T>(
  options: SettledConsumerOptions<T>,
): Promise<SettledConsumer> {
  const log = options.logger.child({
    component: 'settled-consumer',
    consumer: options.name,
    topic: options.topic,
    groupId: options.groupId,
  });
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout,
    heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
  });
  const dlqProducer: Producer = options.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });

  let stopping = false;
  let running = false;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  const wakers = new Set<() => void>();

  /** Waits `ms`, heartbeating; throws ConsumerStopping as soon as stop() is called. */
  async function wait(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (!stopping) {
      const left = until - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, HEARTBEAT_EVERY_MS));
        function done() {
          clearTimeout(timer);
          wakers.delete(done);
          resolve();
        }
        wakers.add(done);
      });
      if (!stopping) await heartbeat();
    }
    throw new ConsumerStopping('consumer stopping; the message stays uncommitted');
  }

  async function settle(payload: EachMessagePayload): Promise<string> {
    const { topic, partition, message, heartbeat } = payload;
    const messageLog = log.child({ partition, offset: message.offset });
    return settleMessage(message.value, options, {
      wait: (ms) => wait(ms, heartbeat),
      isStopping: () => stopping,
      log: messageLog,
      onRetry: options.onRetry,
      deadLetter: async (letter) => {
        const source = { topic, partition, message, groupId: options.groupId, ...letter };
        // Kafka refusing the copy is an outage too: keep trying (the offset must not move until
        // the copy is safe), but give stop() its way.
        for (let attempt = 1; ; attempt++) {
          try {
            await sendDeadLetter(dlqProducer, options.deadLetterTopic, source);
            return;
          } catch (err) {
            if (stopping) throw err;
            messageLog.warn({ err, attempt }, 'could not write to the dead-letter topic; retrying');
            await wait(retryDelay(options, attempt), heartbeat);
          }
        }
      },
    });
  }

  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload;
    if (error instanceof ConsumerStopping || stopping) return;
    log.error({ err: error, restart }, 'consumer crashed');
    if (!restart) {
      // kafkajs has disconnected the consumer and will not restart it.
      running = false;
      void dlqProducer.disconnect().catch(() => undefined);
      markEnded();
    }
  });

  const release = async () => {
    await consumer.disconnect().catch(() => undefined);
    await dlqProducer.disconnect().catch(() => undefined);
  };
  try {
    await dlqProducer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    options.signal?.throwIfAborted();
  } catch (err) {
    // Half-started (or no longer wanted): release what did connect, so a retry starts clean.
    await release();
    throw err;
  }
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
    eachMessage: async (payload) => {
      // Counted before the commit: if the commit fails, the redelivery counts as a duplicate.
      options.onOutcome?.(await settle(payload));
      // Only now: the handler's write is durable, or the dead-letter copy is acknowledged.
      await consumer.commitOffsets([
        {
          topic: payload.topic,
          partition: payload.partition,
          offset: (BigInt(payload.message.offset) + 1n).toString(),
        },
      ]);
    },
  });
  running = true;
  log.info(`consuming ${options.name}`);
  const untrackLag = await trackConsumerLag(options.kafka, options.groupId, options.topic).catch(
    (err: unknown) => {
      log.warn({ err }, 'consumer lag will not be reported');
      return async () => undefined;
    },
  );

  let stopped: Promise<void> | undefined;
  return {
    isRunning: () => running && !stopping,
    ended,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        [...wakers].forEach((wake) => wake());
        await untrackLag();
        await release();
        running = false;
        markEnded();
      })();
      return stopped;
    },
  };
}
