import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { decodeCheckoutCompleted, startSettledConsumer, type SettledConsumer } from '@shop/shared';
import { isStoreUnavailable } from '../data/outages';
import type { OrderStore } from '../data/orderStore';

export interface CheckoutEventsConsumerOptions {
  kafka: Kafka;
  store: Pick<OrderStore, 'createFromCheckout'>;
  logger: Logger;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  /** Group session timeout (default 30 s); heartbeats go at a tenth of it. */
  sessionTimeoutMs?: number;
  /** Partitions handled side by side (CONSUMER_PARTITIONS_CONCURRENTLY); one partition stays in order. */
  partitionsConcurrently?: number;
  /** Attempts for a failure that is neither an outage nor a poison message; then dead-letter. */
  maxAttempts: number;
  retryBackoffMs: number;
  retryMaxBackoffMs: number;
  /** From superviseConsumer: aborting it abandons a start that has not finished. */
  signal?: AbortSignal;
}

export type CheckoutEventsConsumer = Pick<SettledConsumer, 'isRunning' | 'stop'>;

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

/**
 * Consumer group `orders-service` on checkout-events: each CheckoutCompleted becomes one order.
 *
 * The offset after a message is committed only once its order transaction has COMMITTED (or it
 * was a duplicate, skipped, or its dead-letter copy was acknowledged); a crash before that
 * redelivers it, and the order insert is idempotent by checkout id: exactly one order per
 * checkout. The delivery rules (commit after settling, poison dead-lettered at once, outages
 * retried without limit, other failures `maxAttempts` times) are the shared settled consumer's,
 * see @shop/shared kafka/settledConsumer.ts and kafka/settleMessage.ts. What is the orders
 * service's own: the database is "unavailable" when PostgreSQL cannot be used at all (see
 * data/outages), not when it rejects the data.
 */
export function startCheckoutEventsConsumer(
  options: CheckoutEventsConsumerOptions,
): Promise<SettledConsumer> {
  const log = options.logger.child({ component: 'checkout-events-consumer' });
  return startSettledConsumer({
    ...options,
    name: 'checkout events',
    decode: decodeCheckoutCompleted,
    handle: async (event) => {
      const result = await options.store.createFromCheckout(event);
      if (result.created) {
        log.info({ checkoutId: event.checkoutId, orderId: result.order.id }, 'order created');
        return 'created';
      }
      log.info({ checkoutId: event.checkoutId }, 'order already exists; duplicate ignored');
      return 'duplicate';
    },
    isTransient: isStoreUnavailable,
    onOutcome: (outcome) => outcomes.inc({ outcome }),
    onRetry: (cause) =>
      retries.inc({ cause: cause === 'unavailable' ? 'database_unavailable' : cause }),
  });
}
