import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import {
  DependencyUnavailableError,
  type PaymentClient,
  type InventoryClient,
} from '@shop/internal-grpc';
import { decodeOrderCancelled, startSettledConsumer, type SettledConsumer } from '@shop/shared';
import type { CancellationStore } from '../data/cancellationStore';
import { isStoreUnavailable } from '../data/outages';
import type { OrderStore } from '../data/orderStore';

/** Where a test may make this process SIGKILL itself (ORDERS_CRASH_AT), between saga steps. */
export const REFUND_CRASH_POINTS = ['BEFORE_REFUND', 'AFTER_REFUND', 'AFTER_RESTOCK'] as const;
export type RefundCrashPoint = (typeof REFUND_CRASH_POINTS)[number];

export interface RefundsConsumerOptions {
  kafka: Kafka;
  orders: Pick<OrderStore, 'findById'>;
  cancellations: Pick<CancellationStore, 'recordRefundRefusal' | 'finishRefund'>;
  payment: Pick<PaymentClient, 'refund'>;
  inventory: Pick<InventoryClient, 'restock'>;
  logger: Logger;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  sessionTimeoutMs?: number;
  /** Refusals by the payment provider before the refund is recorded FAILED for staff. */
  refundMaxAttempts: number;
  /** Attempts for any other failure (a bug, data the store rejects), then dead-lettered. */
  maxAttempts: number;
  retryBackoffMs: number;
  retryMaxBackoffMs: number;
  crash?: (point: RefundCrashPoint) => void;
  /** From superviseConsumer: aborting it abandons a start under way. */
  signal?: AbortSignal;
}

/** A refusal that may still be retried; counted in the row (recordRefundRefusal). */
class RefundRefusedError extends Error {
  override readonly name = 'RefundRefusedError';
}

const outcomes = new Counter({
  name: 'orders_refunds_total',
  help: 'OrderCancelled events handled by the orders-refunds consumer, by outcome',
  labelNames: ['outcome'] as const,
});
const retries = new Counter({
  name: 'orders_refund_retries_total',
  help: 'Retries of an OrderCancelled event, by cause (dependency_unavailable, processing_error)',
  labelNames: ['cause'] as const,
});

/**
 * Consumer group `orders-refunds` on order-events: the second half of the cancellation saga.
 * The first half is the cancelling transaction (data/cancellationStore.ts), which commits the
 * order CANCELLED with refund PENDING and an OrderCancelled event in the outbox; the shared
 * relay publishes it. For each OrderCancelled this consumer
 *
 *   1. refunds the payment (payment stub Refund, idempotent per checkout: money back once),
 *   2. returns the sold units to stock (inventory stub Restock, idempotent per checkout),
 *   3. records REFUNDED (or FAILED) with an OrderStatusChanged, conditional on PENDING.
 *
 * It lives in the orders service because the order row is the saga's state (refund PENDING
 * until step 3) and step 3 is an orders write; checkout has finished its part at the charge.
 * The offset is committed only after step 3 (settled consumer), so a crash between any two
 * steps redelivers the event and the steps run again: 1 and 2 answer "already done", 3 writes.
 * A redelivered event after step 3 finds the refund settled and does nothing.
 *
 * Failures: the payment or inventory stub unreachable, or PostgreSQL down, is an outage and is
 * retried without limit (nothing is lost meanwhile: the refund stays PENDING). A refund the
 * provider refuses is retried with backoff `refundMaxAttempts` times in all (counted in the
 * row, so restarts do not reset it), then recorded FAILED with the provider's reason for staff;
 * the stock still goes back, because the order will not ship either way.
 */
export function startRefundsConsumer(options: RefundsConsumerOptions): Promise<SettledConsumer> {
  const log = options.logger.child({ component: 'refunds-consumer' });
  const crash = options.crash ?? (() => undefined);
  return startSettledConsumer({
    kafka: options.kafka,
    logger: options.logger,
    topic: options.topic,
    deadLetterTopic: options.deadLetterTopic,
    groupId: options.groupId,
    signal: options.signal,
    sessionTimeoutMs: options.sessionTimeoutMs,
    retryBackoffMs: options.retryBackoffMs,
    retryMaxBackoffMs: options.retryMaxBackoffMs,
    // Refusals count towards the settled consumer's attempts too; they must reach FAILED
    // (refundMaxAttempts) before the message could be dead-lettered for them.
    maxAttempts: options.refundMaxAttempts + options.maxAttempts,
    name: 'order cancellations',
    decode: decodeOrderCancelled,
    handle: async (event) => {
      const order = await options.orders.findById(event.orderId);
      if (!order || order.refundStatus !== 'PENDING') {
        log.info({ orderId: event.orderId }, 'refund already settled; duplicate ignored');
        return 'duplicate';
      }
      crash('BEFORE_REFUND');
      const refund = await options.payment.refund(event.checkoutId);
      crash('AFTER_REFUND');
      let failureReason: string | undefined;
      if (refund.kind === 'refused') {
        const refusals = await options.cancellations.recordRefundRefusal(order.id);
        if (refusals < options.refundMaxAttempts) {
          throw new RefundRefusedError(`refund refused (${refusals}): ${refund.reason}`);
        }
        failureReason = `${refund.reason} (refused ${refusals} times; not retried any more)`;
      }
      const restock = await options.inventory.restock(event.checkoutId, event.items);
      crash('AFTER_RESTOCK');
      const finished = await options.cancellations.finishRefund(
        order.id,
        failureReason === undefined ? { status: 'REFUNDED' } : { status: 'FAILED', failureReason },
      );
      const outcome = failureReason === undefined ? 'refunded' : 'refund_failed';
      log.info(
        {
          orderId: order.id,
          checkoutId: event.checkoutId,
          outcome,
          restockedNow: restock.restockedNow,
          nothingCharged: refund.kind === 'nothing_charged',
        },
        'cancellation settled',
      );
      return finished ? outcome : 'duplicate';
    },
    isTransient: (err) => isStoreUnavailable(err) || err instanceof DependencyUnavailableError,
    onOutcome: (outcome) => outcomes.inc({ outcome }),
    onRetry: (cause) =>
      retries.inc({ cause: cause === 'unavailable' ? 'dependency_unavailable' : cause }),
  });
}
