/**
 * Cart clearing: consumer group `cart-service` on checkout-events takes out of each shopper's
 * cart what their completed checkout bought.
 *
 * Each CheckoutCompleted becomes one `CartRepository.removeCheckedOut(userId, checkoutId, items)`:
 * the checked-out quantities are subtracted (a line the shopper added to after the checkout's
 * snapshot keeps the difference, a product added since stays), and the checkout id is recorded
 * in the same cart version, so a redelivered event changes nothing. Like every cart write it
 * stores the new version in the cache before it returns: the shopper's next read shows it.
 *
 * Delivery is the shared settled consumer's (@shop/shared kafka/settledConsumer.ts): `autoCommit`
 * off, each offset committed right after its message settled — here, after the new cart version
 * is in MongoDB. A crash before the commit redelivers the event, and the checkout id makes the
 * second removal a no-op. Poison (not JSON, not the contract, an unknown version) goes to the
 * dead-letter topic at once; a MongoDB outage (data/outages.ts) is retried with capped backoff
 * for as long as it lasts and never dead-letters anything; any other failure is retried
 * `maxAttempts` times, then dead-lettered. Other event types on the topic are skipped.
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Gauge, register } from 'prom-client';
import { decodeCheckoutCompleted, startSettledConsumer, type SettledConsumer } from '@shop/shared';
import type { CartRepository } from '../data/cartRepository';
import { isStoreUnavailable } from '../data/outages';

export interface CartCheckoutConsumerOptions {
  kafka: Kafka;
  carts: Pick<CartRepository, 'removeCheckedOut'>;
  logger: Logger;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  maxAttempts: number;
  retryBackoffMs: number;
  retryMaxBackoffMs: number;
  signal?: AbortSignal;
}

/** Registered once per process: tests start several cart services side by side. */
function counter<L extends string>(name: string, help: string, label: L): Counter<L> {
  return (
    (register.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames: [label] })
  );
}

export const checkoutEventOutcomes = counter(
  'cart_checkout_events_total',
  'checkout-events messages settled by the cart consumer, by outcome (removed, duplicate, ignored, dead_lettered)',
  'outcome',
);
export const checkoutEventRetries = counter(
  'cart_checkout_event_retries_total',
  'Retries of a checkout-events message by the cart consumer, by cause (store_unavailable, processing_error)',
  'cause',
);

/** Consumers of this process, for the gauge (tests run several cart services in one process). */
const consumers = new Set<() => boolean>();
if (!register.getSingleMetric('cart_checkout_consumer_running')) {
  new Gauge({
    name: 'cart_checkout_consumer_running',
    help: 'Cart checkout-events consumers running in this process (0 while Kafka is unreachable)',
    collect() {
      this.set([...consumers].filter((isRunning) => isRunning()).length);
    },
  });
}

/** Counts the consumer in cart_checkout_consumer_running; returns the undo. */
export function reportConsumerRunning(isRunning: () => boolean): () => void {
  consumers.add(isRunning);
  return () => consumers.delete(isRunning);
}

export function startCartCheckoutConsumer(
  options: CartCheckoutConsumerOptions,
): Promise<SettledConsumer> {
  const log = options.logger.child({ component: 'cart-checkout-consumer' });
  return startSettledConsumer({
    ...options,
    name: 'checkout events',
    decode: decodeCheckoutCompleted,
    handle: async ({ userId, checkoutId, items }) => {
      const { applied, cart } = await options.carts.removeCheckedOut(
        userId,
        checkoutId,
        items.map(({ productId, quantity }) => ({ productId, quantity })),
      );
      log.info(
        { userId, checkoutId, applied, version: cart.version },
        applied ? 'checked-out items removed from the cart' : 'checkout already applied; duplicate',
      );
      return applied ? 'removed' : 'duplicate';
    },
    isTransient: isStoreUnavailable,
    onOutcome: (outcome) => checkoutEventOutcomes.inc({ outcome }),
    onRetry: (cause) =>
      checkoutEventRetries.inc({ cause: cause === 'unavailable' ? 'store_unavailable' : cause }),
  });
}
