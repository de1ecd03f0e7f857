import type { ErrorCode } from '@shop/shared';
import { ADMIN_SCOPE, canReadOrder } from './orderAccess';
import { decideTransition, type OrderStatus } from './orderStatus';

/** Who may cancel: the owner while CONFIRMED; staff (`admin`) while CONFIRMED or PROCESSING. */
const OWNER_MAY_CANCEL: ReadonlySet<OrderStatus> = new Set(['CONFIRMED']);

export type CancellationDecision =
  | { ok: true }
  | {
      ok: false;
      code: Extract<ErrorCode, 'NOT_FOUND' | 'FORBIDDEN' | 'CONFLICT' | 'BAD_USER_INPUT'>;
      message: string;
    };

/**
 * Decides whether `viewer` may cancel `order` now. Kept pure so the rules are unit-tested alone;
 * the store applies a positive decision with a conditional update (WHERE status = the status
 * decided on), so a status change racing the cancellation makes it decide again.
 *
 * Errors, consistent with the rest of this subgraph: someone else's order is NOT_FOUND (ids of
 * other people's orders reveal nothing), an already cancelled order is CONFLICT (the request
 * was fine, the order's state says no), an order past cancelling (SHIPPED, DELIVERED) is
 * BAD_USER_INPUT like any illegal status change, and an owner too late for self-service
 * (PROCESSING) is FORBIDDEN: staff can still do it.
 */
export function decideCancellation(
  viewer: { userId: string; scopes: ReadonlySet<string> },
  order: { id: string; userId: string; status: OrderStatus },
): CancellationDecision {
  if (!canReadOrder(viewer, order)) {
    return { ok: false, code: 'NOT_FOUND', message: `No order ${order.id}.` };
  }
  if (order.status === 'CANCELLED') {
    return {
      ok: false,
      code: 'CONFLICT',
      message: `Order ${order.id} is already cancelled; its refund is under \`refund\`.`,
    };
  }
  const transition = decideTransition(order.status, 'CANCELLED');
  if (!transition.ok) return { ok: false, code: 'BAD_USER_INPUT', message: transition.reason };
  if (!viewer.scopes.has(ADMIN_SCOPE) && !OWNER_MAY_CANCEL.has(order.status)) {
    return {
      ok: false,
      code: 'FORBIDDEN',
      message: `Order ${order.id} is already ${order.status}; only staff can cancel it now. Contact support.`,
    };
  }
  return { ok: true };
}
