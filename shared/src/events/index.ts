import { z } from 'zod';

/**
 * Event contracts carried on Kafka. Each is versioned JSON: a consumer that sees a version it
 * does not know dead-letters the message rather than guessing. Money is a decimal string.
 */
const decimal = z.string().regex(/^-?\d+(\.\d{1,2})?$/, 'decimal string with at most 2 places');

export const CheckoutCompletedV1 = z.object({
  eventId: z.string().uuid(),
  eventType: z.literal('CheckoutCompleted'),
  version: z.literal(1),
  occurredAt: z.string().datetime(),
  checkoutId: z.string().uuid(),
  userId: z.string().min(1),
  items: z
    .array(
      z.object({
        productId: z.string().min(1),
        name: z.string(),
        quantity: z.number().int().positive(),
        unitPrice: decimal,
      }),
    )
    .min(1),
  total: decimal,
  currency: z.string().length(3),
});
export type CheckoutCompletedV1 = z.infer<typeof CheckoutCompletedV1>;

export const OrderStatus = z.enum(['CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'CANCELLED']);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderStatusChangedV1 = z.object({
  eventId: z.string().uuid(),
  eventType: z.literal('OrderStatusChanged'),
  version: z.literal(1),
  occurredAt: z.string().datetime(),
  orderId: z.string().uuid(),
  checkoutId: z.string().uuid(),
  userId: z.string().min(1),
  previousStatus: OrderStatus.nullable(),
  status: OrderStatus,
});
export type OrderStatusChangedV1 = z.infer<typeof OrderStatusChangedV1>;

/**
 * V2 adds `orderVersion`: the order's `version` after this change (1 at creation, +1 on every
 * status or refund change). Consumers use it to drop stale or repeated events and subscribers
 * to resume (`orderStatusChanged(sinceVersion:)`). A refund change is published as this same
 * event with the status unchanged (previousStatus = status) and the next version.
 */
export const OrderStatusChangedV2 = OrderStatusChangedV1.extend({
  version: z.literal(2),
  orderVersion: z.number().int().positive(),
});
export type OrderStatusChangedV2 = z.infer<typeof OrderStatusChangedV2>;

/** Decodes either version, so events already in the topic (V1) stay readable after upgrade. */
export const OrderStatusChanged = z.discriminatedUnion('version', [
  OrderStatusChangedV1,
  OrderStatusChangedV2,
]);
export type OrderStatusChanged = z.infer<typeof OrderStatusChanged>;

/**
 * An order was cancelled: its money is owed back and its sold units go back to stock. Written
 * to the orders outbox in the cancelling transaction; the orders-refunds consumer refunds and
 * restocks (both idempotent per checkoutId) and then records the refund's outcome.
 */
export const OrderCancelledV1 = z.object({
  eventId: z.string().uuid(),
  eventType: z.literal('OrderCancelled'),
  version: z.literal(1),
  occurredAt: z.string().datetime(),
  orderId: z.string().uuid(),
  checkoutId: z.string().uuid(),
  userId: z.string().min(1),
  reason: z.string().nullable(),
  /** The order total: what the refund gives back. */
  amount: decimal,
  currency: z.string().length(3),
  items: z
    .array(z.object({ productId: z.string().min(1), quantity: z.number().int().positive() }))
    .min(1),
});
export type OrderCancelledV1 = z.infer<typeof OrderCancelledV1>;
