import type { Shortage } from '@shop/internal-grpc';
import type { SnapshotItem } from '../data/sessionStore';

/**
 * Why a checkout failed: `code` for programs (failureCode, docs/design-decisions.md), `reason` for the shopper.
 * Each reason says what happened to their money and stock, because that is what they worry
 * about, and what to do next.
 */
export const FailureCode = {
  INSUFFICIENT_STOCK: 'INSUFFICIENT_STOCK',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  RESERVATION_EXPIRED: 'RESERVATION_EXPIRED',
  INVENTORY_UNAVAILABLE: 'INVENTORY_UNAVAILABLE',
  PAYMENT_UNAVAILABLE: 'PAYMENT_UNAVAILABLE',
} as const;
export type FailureCode = (typeof FailureCode)[keyof typeof FailureCode];

export function insufficientStockReason(shortages: Shortage[], items: SnapshotItem[]): string {
  if (shortages.length === 0) {
    return 'Some items in your cart are out of stock. Nothing was charged; change the quantities and check out again.';
  }
  const nameOf = (id: string) => items.find((i) => i.productId === id)?.name ?? `product ${id}`;
  const parts = shortages.map((s) =>
    s.available > 0
      ? `${nameOf(s.productId)} (only ${s.available} left, you asked for ${s.requested})`
      : `${nameOf(s.productId)} (sold out)`,
  );
  return `Not enough stock for ${parts.join(', ')}. Nothing was charged; change the quantities and check out again.`;
}

const DECLINES: Record<string, string> = {
  card_declined: 'your card was declined',
  insufficient_funds: 'your card has insufficient funds',
  expired_card: 'your card has expired',
  processor_declined: 'the payment processor declined the charge',
};

export function paymentDeclinedReason(declineCode: string): string {
  const what = DECLINES[declineCode] ?? 'your payment was declined';
  return `Payment failed: ${what}. Nothing was charged and your items were released; use another payment method.`;
}

export const reasons = {
  inventoryUnavailable:
    'We could not reach the warehouse to hold your items, so nothing was charged. Please try again in a minute.',
  paymentUnavailable:
    'We could not reach the payment provider. Your items were released and any amount taken will be refunded. Please try again in a minute.',
  inventoryUnavailableAfterPayment:
    'We could not reach the warehouse to finish your order after payment, so the charge will be refunded. Please try again in a minute.',
  reservationExpired:
    'Your items were held for too long and went back on sale before the order could be finished; any amount taken will be refunded. Please check out again.',
};
