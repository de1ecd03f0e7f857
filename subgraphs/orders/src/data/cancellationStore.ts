import { randomUUID } from 'node:crypto';
import { events, formatCents } from '@shop/shared';
import { decideCancellation, type CancellationDecision } from '../domain/orderCancellation';
import { recordVersion, type OrderRow, type OrderStore } from './orderStore';
import type { OrdersPrisma } from './prismaClient';

export type CancelResult =
  | { kind: 'cancelled'; order: OrderRow }
  | { kind: 'not_found' }
  | { kind: 'refused'; decision: Extract<CancellationDecision, { ok: false }> }
  /** The status kept changing under us; the caller may simply try again. */
  | { kind: 'conflict' };

export type RefundOutcomeToRecord =
  { status: 'REFUNDED' } | { status: 'FAILED'; failureReason: string };

/** How often a cancellation re-reads and re-decides after losing a race before giving up. */
const CANCEL_ATTEMPTS = 3;

/**
 * The writes of the cancellation saga (see events/refundsConsumer.ts for the steps between).
 * Each commits its state change and its events together: the cancellation with OrderCancelled
 * (which starts the refund) and OrderStatusChanged (which tells subscribers), the refund's
 * outcome with another OrderStatusChanged so subscribers see `refund` change.
 */
export class CancellationStore {
  constructor(
    private readonly prisma: OrdersPrisma,
    private readonly orders: Pick<OrderStore, 'statusChangedOutboxRow'>,
    private readonly orderEventsTopic: string,
  ) {}

  /**
   * Cancels the order if `viewer` may (domain/orderCancellation.ts), in ONE transaction: status
   * CANCELLED, refund PENDING for the order total, the reason, and both events in the outbox.
   * The update is conditional on the status decided on, so of a cancellation and a racing
   * status change only one applies; the loser decides again against what won.
   */
  async cancel(
    orderId: string,
    viewer: { userId: string; scopes: ReadonlySet<string> },
    reason: string | null,
  ): Promise<CancelResult> {
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      const current = await this.prisma.order.findUnique({ where: { id: orderId } });
      if (!current) return { kind: 'not_found' };
      const decision = decideCancellation(viewer, current);
      if (!decision.ok) return { kind: 'refused', decision };
      const cancelled = await this.prisma.$transaction(async (tx) => {
        const now = new Date();
        const [order] = await tx.order.updateManyAndReturn({
          where: { id: orderId, status: current.status },
          data: {
            status: 'CANCELLED',
            updatedAt: now,
            // One change, one version, in the transaction that makes the change.
            version: { increment: 1 },
            cancellationReason: reason,
            refundStatus: 'PENDING',
            refundAmountCents: current.totalCents,
            refundRequestedAt: now,
          },
        });
        if (!order) return undefined; // someone else changed it first
        // Subscribers read each version as of itself (order(id:, version:)): keep its history.
        await recordVersion(tx, order);
        const items = await tx.orderItem.findMany({
          where: { orderId },
          orderBy: { position: 'asc' },
        });
        await tx.outboxEvent.createMany({
          data: [
            this.orders.statusChangedOutboxRow(order, current.status, now),
            this.cancelledOutboxRow(order, items, reason, now),
          ],
        });
        return order;
      });
      if (cancelled) return { kind: 'cancelled', order: cancelled };
    }
    return { kind: 'conflict' };
  }

  /**
   * Counts one refusal of the refund by the payment provider and answers how many there have
   * been. Kept in the row, not in memory, so the bound on retries survives restarts.
   */
  async recordRefundRefusal(orderId: string): Promise<number> {
    const [row] = await this.prisma.order.updateManyAndReturn({
      where: { id: orderId, refundStatus: 'PENDING' },
      data: { refundAttempts: { increment: 1 } },
    });
    return row?.refundAttempts ?? 0;
  }

  /**
   * Records the refund's outcome once: conditional on refund PENDING, so a redelivered
   * OrderCancelled finds it settled and writes nothing (no second event). False if it was.
   */
  async finishRefund(orderId: string, outcome: RefundOutcomeToRecord): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const [order] = await tx.order.updateManyAndReturn({
        where: { id: orderId, refundStatus: 'PENDING' },
        data:
          outcome.status === 'REFUNDED'
            ? {
                refundStatus: 'REFUNDED',
                refundRefundedAt: now,
                updatedAt: now,
                version: { increment: 1 },
              }
            : {
                refundStatus: 'FAILED',
                refundFailureReason: outcome.failureReason,
                updatedAt: now,
                version: { increment: 1 },
              },
      });
      if (!order) return false;
      await recordVersion(tx, order);
      // Status stays CANCELLED (previousStatus = status); the event, with the next version, is
      // how subscribers learn that `refund` changed.
      await tx.outboxEvent.create({
        data: this.orders.statusChangedOutboxRow(order, order.status, now),
      });
      return true;
    });
  }

  private cancelledOutboxRow(
    order: OrderRow,
    items: readonly { productId: string; quantity: number }[],
    reason: string | null,
    occurredAt: Date,
  ) {
    // Parsed, not just typed: a payload that breaks the contract fails inside the transaction.
    const payload = events.OrderCancelledV1.parse({
      eventId: randomUUID(),
      eventType: 'OrderCancelled',
      version: 1,
      occurredAt: occurredAt.toISOString(),
      orderId: order.id,
      checkoutId: order.checkoutId,
      userId: order.userId,
      reason,
      amount: formatCents(Number(order.totalCents)),
      currency: order.currency,
      items: items.map(({ productId, quantity }) => ({ productId, quantity })),
    } satisfies events.OrderCancelledV1);
    return {
      aggregateId: order.id,
      eventType: payload.eventType,
      topic: this.orderEventsTopic,
      // Keyed by order like OrderStatusChanged: one order's events stay in order on a partition.
      messageKey: order.id,
      payload,
    };
  }
}
