import { Pool, types as pgTypes } from 'pg';
import type { OrderCursor } from '../domain/orderCursor';
import type { OrderItemRow, OrderRow } from './orderStore';

/**
 * The order-history page's two reads (a user's orders newest first, and their items) as named
 * pg statements, prepared once per connection, on a small pool of their own.
 *
 * Why not Prisma here: the profile of the orders subgraph under `bench:gateway`
 * (docs/performance.md, profile 2) showed a quarter of its busy time in Prisma's client
 * runtime, most of it `compile` in the WebAssembly query compiler, which runs again for every
 * `findMany`. These statements read the same rows with the same ordering, on every call:
 * nothing is cached, so an order written a moment ago is in the next page. Writes, the
 * `_entities` and by-checkout lookups and migrations stay on Prisma.
 */
export interface OrderReads {
  /** Up to `limit` of the user's orders, newest first, strictly after `after`. */
  listForUser(userId: string, limit: number, after?: OrderCursor): Promise<OrderRow[]>;
  /** The items of several orders, by order then checkout position. */
  itemsOfOrders(orderIds: readonly string[]): Promise<OrderItemRow[]>;
  close(): Promise<void>;
}

const ORDER_COLUMNS = `id, checkout_id AS "checkoutId", user_id AS "userId", status, version,
  total_cents AS "totalCents", currency, created_at AS "createdAt", updated_at AS "updatedAt",
  cancellation_reason AS "cancellationReason", refund_status AS "refundStatus",
  refund_amount_cents AS "refundAmountCents", refund_requested_at AS "refundRequestedAt",
  refund_refunded_at AS "refundRefundedAt", refund_failure_reason AS "refundFailureReason",
  refund_attempts AS "refundAttempts"`;

// Keyset pagination on (created_at, id), both served by orders_user_newest_idx; the row
// comparison is Prisma's `created_at < c OR (created_at = c AND id < i)` in one index range.
const FIRST_PAGE = `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = $1
  ORDER BY created_at DESC, id DESC LIMIT $2`;
const NEXT_PAGE = `SELECT ${ORDER_COLUMNS} FROM orders
  WHERE user_id = $1 AND (created_at, id) < ($3::timestamptz, $4::uuid)
  ORDER BY created_at DESC, id DESC LIMIT $2`;
const ITEMS = `SELECT id, order_id AS "orderId", position, product_id AS "productId",
  product_name AS "productName", quantity, unit_price_cents AS "unitPriceCents"
  FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position`;

const INT8_OID = 20;
/** BIGINT columns as BigInt, as Prisma returns them (pg's default is a string). */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => BigInt(value)
      : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

export function openOrderReads(postgresUrl: string, options: { max?: number } = {}): OrderReads {
  const pool = new Pool({
    connectionString: postgresUrl,
    max: options.max ?? 5,
    // As the Prisma pool: fail fast when PostgreSQL is unreachable instead of hanging a page.
    connectionTimeoutMillis: 5000,
  });
  // An idle connection dropped by the server must not crash the process; the next query
  // opens a new one.
  pool.on('error', () => undefined);
  return {
    async listForUser(userId, limit, after) {
      const result = await pool.query<OrderRow>(
        after
          ? {
              name: 'orders-next-page',
              text: NEXT_PAGE,
              values: [userId, limit, after.createdAt, after.id],
              types,
            }
          : { name: 'orders-first-page', text: FIRST_PAGE, values: [userId, limit], types },
      );
      return result.rows;
    },
    async itemsOfOrders(orderIds) {
      if (orderIds.length === 0) return [];
      const result = await pool.query<OrderItemRow>({
        name: 'order-items',
        text: ITEMS,
        values: [[...orderIds]],
        types,
      });
      return result.rows;
    },
    close: () => pool.end(),
  };
}
