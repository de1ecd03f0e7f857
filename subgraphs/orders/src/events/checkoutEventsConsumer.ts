import type {
  Consumer,
  EachMessagePayload,
  IHeaders,
  Kafka,
  KafkaMessage,
  Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { isDatabaseUnavailable } from '../data/databaseErrors';
import type { OrderStore } from '../data/orderStore';
import { decodeCheckoutEvent } from './decodeCheckoutEvent';

export interface CheckoutEventsConsumerOptions {
  kafka: Kafka;
  store: Pick<OrderStore, 'createFromCheckout'>;
  logger: Logger;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  /** Group session timeout (default 30 s); heartbeats go at a tenth of it. */
  sessionTimeoutMs?: number;
  /** Attempts for a failure that is neither an outage nor a poison message; then dead-letter. */
  maxAttempts: number;
  retryBackoffMs: number;
  retryMaxBackoffMs: number;
}

export interface CheckoutEventsConsumer {
  /** False once stopped, or after kafkajs gave up restarting it (readiness reports that). */
  isRunning: () => boolean;
  /** Stops fetching, abandons a retry in progress (its offset stays uncommitted), disconnects. */
  stop: () => Promise<void>;
}

const outcomes = new Counter({
  name: 'orders_checkout_events_total',
  help: 'checkout-events messages handled by the orders consumer, by outcome',
  labelNames: ['outcome'] as const,
});
const retries = new Counter({
  name: 'orders_checkout_event_retries_total',
  help: 'Retries of a checkout-events message, by cause (database_unavailable, processing_error)',
  labelNames: ['cause'] as const,
});

/** Thrown out of a handler that was waiting to retry when stop() was called. */
class ConsumerStopping extends Error {
  override name = 'ConsumerStopping';
}

/** How long one wait may last before it heartbeats the group again (below sessionTimeout). */
const HEARTBEAT_EVERY_MS = 1000;

/**
 * Consumer group `orders-service` on checkout-events: each CheckoutCompleted becomes one order.
 *
 * Delivery and offsets. `autoCommit` is off and the offset after a message is committed
 * explicitly, only once the message is settled: its order transaction has COMMITTED (or it was
 * a duplicate, ignored, or its dead-letter copy was acknowledged by Kafka). A crash at any point
 * before that commit redelivers the message to whichever member owns the partition next, and the
 * order insert is idempotent by checkout id, so the result is exactly one order per checkout:
 * nothing lost, nothing twice. (kafkajs's auto-commit would also only commit offsets of messages
 * whose handler returned, but on a timer; committing per message makes the invariant visible
 * here and bounds redelivery after a crash to the one message in flight.)
 *
 * Failures, three kinds, because they need opposite handling:
 * - poison (not JSON, not the contract, an unknown version): retrying cannot help, so it goes to
 *   the dead-letter topic at once and the partition moves on;
 * - the database is unavailable (connection refused or lost, too many connections, a deadlock,
 *   an unmigrated schema): not the message's fault, so it is retried with capped backoff for as
 *   long as it takes. Dead-lettering here would empty the topic into the DLQ during an outage;
 *   waiting is right because every other message would fail the same way;
 * - anything else (the database rejects the data, an unexpected bug): retried `maxAttempts`
 *   times with backoff, then dead-lettered so one bad message cannot block its partition.
 * The dead-letter copy keeps the original key, value and headers, and adds `dlq-*` headers with
 * the reason, the source topic/partition/offset, the group and the attempt count.
 *
 * While a message waits to be retried the handler heartbeats, so the group does not evict a
 * member that is merely patient; a rebalance during the wait surfaces from heartbeat() and the
 * message is handed, uncommitted, to the partition's next owner.
 */
export async function startCheckoutEventsConsumer(
  options: CheckoutEventsConsumerOptions,
): Promise<CheckoutEventsConsumer> {
  const log = options.logger.child({ component: 'checkout-events-consumer', topic: options.topic });
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout,
    heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
  });
  // Idempotent, acks=all: a dead-letter copy is durable before the source offset moves past it.
  const dlqProducer: Producer = options.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });

  let stopping = false;
  let running = false;
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

  const backoff = (attempt: number) =>
    Math.min(options.retryBackoffMs * 2 ** (attempt - 1), options.retryMaxBackoffMs);

  async function deadLetter(
    payload: EachMessagePayload,
    reason: string,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    const headers: IHeaders = {
      ...message.headers,
      'dlq-reason': reason,
      'dlq-error': error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      'dlq-source-topic': topic,
      'dlq-source-partition': String(partition),
      'dlq-source-offset': message.offset,
      'dlq-consumer-group': options.groupId,
      'dlq-attempts': String(attempts),
      'dlq-failed-at': new Date().toISOString(),
    };
    // Kafka being down is an outage too: keep trying (the offset must not move until the copy
    // is safe), but give stop() its way.
    for (let attempt = 1; ; attempt++) {
      try {
        await dlqProducer.send({
          topic: options.deadLetterTopic,
          acks: -1,
          messages: [{ key: message.key, value: message.value, headers }],
        });
        return;
      } catch (err) {
        if (stopping) throw err;
        log.warn({ err, attempt }, 'could not write to the dead-letter topic; retrying');
        await wait(backoff(attempt), heartbeat);
      }
    }
  }

  /** Settles one message: returns once it may be committed, throws when it must be redelivered. */
  async function settle(payload: EachMessagePayload): Promise<void> {
    const { partition, message, heartbeat } = payload;
    const where = { partition, offset: message.offset };
    const decoded = decodeCheckoutEvent(message.value);
    if (decoded.kind === 'ignore') {
      outcomes.inc({ outcome: 'ignored' });
      log.debug({ ...where, eventType: decoded.eventType }, 'not a CheckoutCompleted; skipped');
      return;
    }
    if (decoded.kind === 'poison') {
      log.warn({ ...where, reason: decoded.reason }, 'poison message; dead-lettering it');
      await deadLetter(payload, 'poison', new Error(decoded.reason), 1);
      outcomes.inc({ outcome: 'dead_lettered' });
      return;
    }
    const { event } = decoded;
    let failures = 0; // failures that count towards maxAttempts (outages do not)
    let outageRetries = 0;
    for (;;) {
      try {
        const result = await options.store.createFromCheckout(event);
        outcomes.inc({ outcome: result.created ? 'created' : 'duplicate' });
        if (result.created) {
          log.info(
            { ...where, checkoutId: event.checkoutId, orderId: result.order.id },
            'order created',
          );
        } else {
          log.info(
            { ...where, checkoutId: event.checkoutId },
            'order already exists; duplicate ignored',
          );
        }
        return;
      } catch (err) {
        if (stopping) throw err;
        if (isDatabaseUnavailable(err)) {
          outageRetries++;
          retries.inc({ cause: 'database_unavailable' });
          log.warn(
            { ...where, err, retry: outageRetries },
            'database unavailable; retrying the message until it is back',
          );
          await wait(backoff(outageRetries), heartbeat);
          continue;
        }
        failures++;
        if (failures >= options.maxAttempts) {
          log.error(
            { ...where, err, attempts: failures, checkoutId: event.checkoutId },
            'message failed every attempt; dead-lettering it',
          );
          await deadLetter(payload, 'processing-failed', err, failures);
          outcomes.inc({ outcome: 'dead_lettered' });
          return;
        }
        retries.inc({ cause: 'processing_error' });
        log.warn({ ...where, err, attempt: failures }, 'processing failed; retrying');
        await wait(backoff(failures), heartbeat);
      }
    }
  }

  function nextOffset(message: KafkaMessage): string {
    return (BigInt(message.offset) + 1n).toString();
  }

  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload;
    if (error instanceof ConsumerStopping) return;
    log.error({ err: error, restart }, 'consumer crashed');
    if (!restart) running = false;
  });

  try {
    await dlqProducer.connect();
    await consumer.connect();
    // From the beginning for a group with no committed offsets: a new deployment of the group
    // must not skip checkouts completed before it first started.
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  } catch (err) {
    // Half-started: release what did connect, so a retry starts clean.
    await consumer.disconnect().catch(() => undefined);
    await dlqProducer.disconnect().catch(() => undefined);
    throw err;
  }
  await consumer.run({
    autoCommit: false,
    eachMessage: async (payload) => {
      await settle(payload);
      // Only now, after the order's transaction committed (or the DLQ copy was acked).
      await consumer.commitOffsets([
        { topic: payload.topic, partition: payload.partition, offset: nextOffset(payload.message) },
      ]);
    },
  });
  running = true;
  log.info({ groupId: options.groupId }, 'consuming checkout events');

  let stopped: Promise<void> | undefined;
  return {
    isRunning: () => running && !stopping,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        [...wakers].forEach((wake) => wake());
        await consumer.disconnect();
        await dlqProducer.disconnect();
        running = false;
      })();
      return stopped;
    },
  };
}
