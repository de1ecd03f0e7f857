import { randomUUID } from 'node:crypto';
import { events } from '@shop/shared';
import type { OutboxMessage, SessionRecord } from '../data/sessionStore';
import { snapshotItems } from '../domain/sessionItems';

/**
 * The CheckoutCompleted event (v1) of a session, validated against the shared contract before
 * it is written, so a malformed event fails the checkout's last step here rather than every
 * consumer later. Names and unit prices come from the snapshot: what the shopper paid, even if
 * the catalog changes before the order is created.
 */
export function buildCheckoutCompleted(
  session: SessionRecord,
  completedAt: Date,
): events.CheckoutCompletedV1 {
  return events.CheckoutCompletedV1.parse({
    eventId: randomUUID(),
    eventType: 'CheckoutCompleted',
    version: 1,
    occurredAt: completedAt.toISOString(),
    checkoutId: session.id,
    userId: session.userId,
    items: snapshotItems(session).map(({ productId, name, quantity, unitPrice }) => ({
      productId,
      name,
      quantity,
      unitPrice,
    })),
    total: session.totalAmount.toFixed(2),
    currency: session.currency,
  } satisfies events.CheckoutCompletedV1);
}

/** The outbox row for the event: keyed by user id, so one user's events stay in order. */
export function checkoutCompletedMessage(
  event: events.CheckoutCompletedV1,
  topic: string,
): OutboxMessage {
  return { eventType: event.eventType, topic, key: event.userId, payload: event };
}
