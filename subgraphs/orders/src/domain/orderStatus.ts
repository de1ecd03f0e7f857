import { events } from '@shop/shared';

export type OrderStatus = events.OrderStatus;

/**
 * The order life cycle, as data: CONFIRMED → PROCESSING → SHIPPED → DELIVERED, and CANCELLED
 * from CONFIRMED or PROCESSING. DELIVERED and CANCELLED are final. Kept pure (no I/O) so the
 * rules are unit-tested on their own and the store only has to apply a decision atomically.
 */
const NEXT: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  CONFIRMED: ['PROCESSING', 'CANCELLED'],
  PROCESSING: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

/** The statuses an order in `from` may move to next, in life-cycle order. */
export function allowedNextStatuses(from: OrderStatus): readonly OrderStatus[] {
  return NEXT[from];
}

export type TransitionDecision =
  | { ok: true; from: OrderStatus; to: OrderStatus }
  | { ok: false; from: OrderStatus; to: OrderStatus; reason: string };

/**
 * Decides whether an order in `from` may move to `to`. Setting the status an order already has
 * is refused too: it is not a transition, and it would publish an event that changes nothing.
 * `reason` is written for the person who asked (an operator), naming what would be allowed.
 */
export function decideTransition(from: OrderStatus, to: OrderStatus): TransitionDecision {
  if (NEXT[from].includes(to)) return { ok: true, from, to };
  const allowed = NEXT[from];
  const next =
    allowed.length === 0
      ? `${from} is final; it cannot change any more`
      : `from ${from} it can move to ${allowed.join(' or ')}`;
  const what =
    from === to ? `The order is already ${from}` : `An order cannot move from ${from} to ${to}`;
  return { ok: false, from, to, reason: `${what}: ${next}.` };
}
