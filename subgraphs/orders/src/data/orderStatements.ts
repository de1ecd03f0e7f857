import { Pool, types as pgTypes } from 'pg';
import { isUuid, type OrderCursor } from '../domain/orderCursor';
import type { OrderStatus } from '../domain/orderStatus';
import type { OrderItemRow, OrderRow } from './orderStore';

/**
 * The orders subgraph's hot statements as named pg statements, prepared once per connection,
 * on a small pool of their own: the order-history page (a user's orders newest first, their
 * items), orders by id (`order(id:)`, `_entities`), an order as of one version (every read the
 * gateway makes for subscribers), and a status change with its history row and outbox event
 * in one statement.
 *
 * Why not Prisma here: the profile of the orders subgraph under `bench:gateway`
 * (docs/performance.md, profile 2) showed a quarter of its busy time in Prisma's client
 * runtime, most of it `compile` in the WebAssembly query compiler, which runs again for every
 * query; under `bench:subscriptions` (profile 6) Prisma and its compiler were again the largest
 * item, and a status change was six round trips (a read, BEGIN, three statements, COMMIT).
 * These statements read and write the same rows as Prisma would, on every call: nothing is
 * cached, so an order written a moment ago is in the next read. Order creation, cancellation,
 * refunds, the by-checkout lookups and migrations stay on Prisma.
 */
export interface OrderStatements {
  /** Up to `limit` of the user's orders, newest first, strictly after `after`. */
  listForUser(userId: string, limit: number, after?: OrderCursor): Promise<OrderRow[]>;
  /** The items of several orders, by order then checkout position. */
  itemsOfOrders(orderIds: readonly string[]): Promise<OrderItemRow[]>;
  /** The orders with these ids (UUIDs only), in no particular order. */
  findByIds(ids: readonly string[]): Promise<OrderRow[]>;
  /** The order as it was at `version`, or null when it has no such version. */
  findAtVersion(id: string, version: number): Promise<OrderRow | null>;
  /**
   * Moves `current` to `to` if it is still at the version (and status) it was read at, and in
   * the same statement, so atomically, records the new version in `order_versions` and inserts
   * `event` into `outbox_events`. Returns the changed row, or undefined when the order changed
   * in between (nothing is written then).
   */
  changeStatusIfUnchanged(change: {
    current: OrderRow;
    to: OrderStatus;
    at: Date;
    event: OutboxRow;
  }): Promise<OrderRow | undefined>;
  /**
   * Records a completed checkout's order (CONFIRMED, version 1) with its items, its first
   * history row and `event`, in one statement; returns it, or undefined when the checkout
   * already has its order (`ON CONFLICT (checkout_id) DO NOTHING`: nothing at all is written).
   */
  createOrder(order: NewOrder, event: OutboxRow): Promise<OrderRow | undefined>;
  close(): Promise<void>;
}

/** A new order as `createOrder` writes it; `at` is both its createdAt and its updatedAt. */
export interface NewOrder {
  id: string;
  checkoutId: string;
  userId: string;
  totalCents: bigint;
  currency: string;
  at: Date;
  items: { productId: string; productName: string; quantity: number; unitPriceCents: bigint }[];
}

/** An `outbox_events` row to insert (the relay fills in the rest). */
export interface OutboxRow {
  aggregateId: string;
  eventType: string;
  topic: string;
  messageKey: string;
  payload: unknown;
  traceContext?: string | null;
}

/**
 * An `orders` row as Prisma names its fields, from the `orders` table aliased `o`; `asOf`
 * names the table the changing fields (status, version, updated_at) come from.
 */
const orderColumns = (asOf = 'o') => `o.id, o.checkout_id AS "checkoutId",
  o.user_id AS "userId", ${asOf}.status, ${asOf}.version, o.total_cents AS "totalCents",
  o.currency, o.created_at AS "createdAt", ${asOf}.updated_at AS "updatedAt",
  o.cancellation_reason AS "cancellationReason", o.refund_status AS "refundStatus",
  o.refund_amount_cents AS "refundAmountCents", o.refund_requested_at AS "refundRequestedAt",
  o.refund_refunded_at AS "refundRefundedAt", o.refund_failure_reason AS "refundFailureReason",
  o.refund_attempts AS "refundAttempts"`;
const ORDER_COLUMNS = orderColumns();

// Keyset pagination on (created_at, id), both served by orders_user_newest_idx; the row
// comparison is Prisma's `created_at < c OR (created_at = c AND id < i)` in one index range.
const FIRST_PAGE = `SELECT ${ORDER_COLUMNS} FROM orders o WHERE user_id = $1
  ORDER BY created_at DESC, id DESC LIMIT $2`;
const NEXT_PAGE = `SELECT ${ORDER_COLUMNS} FROM orders o
  WHERE user_id = $1 AND (created_at, id) < ($3::timestamptz, $4::uuid)
  ORDER BY created_at DESC, id DESC LIMIT $2`;
const ITEMS = `SELECT id, order_id AS "orderId", position, product_id AS "productId",
  product_name AS "productName", quantity, unit_price_cents AS "unitPriceCents"
  FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position`;

const BY_IDS = `SELECT ${ORDER_COLUMNS} FROM orders o WHERE id = ANY($1::uuid[])`;
// Items, total and owner never change: the current row with that version's changing fields.
const AT_VERSION = `SELECT ${orderColumns('v')}
  FROM order_versions v JOIN orders o ON o.id = v.order_id
  WHERE v.order_id = $1 AND v.version = $2`;
// One statement is one transaction: the three writes commit together or not at all, and the
// outbox insert's statement trigger sends the relay its NOTIFY on commit, as before.
const CHANGE_STATUS = `WITH changed AS (
    UPDATE orders o SET status = $2::order_status, updated_at = $3, version = version + 1
    WHERE o.id = $1 AND o.status = $4::order_status AND o.version = $5
    RETURNING ${ORDER_COLUMNS}
  ), history AS (
    INSERT INTO order_versions (order_id, version, status, updated_at)
    SELECT id, version, status, "updatedAt" FROM changed
  ), event AS (
    INSERT INTO outbox_events (aggregate_id, event_type, topic, message_key, payload, trace_context)
    SELECT $6, $7, $8, $9, $10::jsonb, $11 FROM changed
  )
  SELECT * FROM changed`;

// The same rows as the Prisma transaction (order, version row, items, outbox event), in one
// statement: a duplicate checkout conflicts on the first insert and the others insert nothing.
const CREATE_ORDER = `WITH created AS (
    INSERT INTO orders AS o
      (id, checkout_id, user_id, status, version, total_cents, currency, created_at, updated_at)
    VALUES ($1, $2, $3, 'CONFIRMED', 1, $4, $5, $6, $6)
    ON CONFLICT (checkout_id) DO NOTHING
    RETURNING ${ORDER_COLUMNS}
  ), history AS (
    INSERT INTO order_versions (order_id, version, status, updated_at)
    SELECT id, version, status, "updatedAt" FROM created
  ), items AS (
    INSERT INTO order_items
      (order_id, position, product_id, product_name, quantity, unit_price_cents)
    SELECT created.id, item.n - 1, item.product_id, item.product_name, item.quantity, item.cents
    FROM created, unnest($7::text[], $8::text[], $9::int[], $10::bigint[])
      WITH ORDINALITY AS item(product_id, product_name, quantity, cents, n)
  ), event AS (
    INSERT INTO outbox_events (aggregate_id, event_type, topic, message_key, payload, trace_context)
    SELECT $11, $12, $13, $14, $15::jsonb, $16 FROM created
  )
  SELECT * FROM created`;

// The statements' names are also their trace spans' names (`pg.query:<name> <database>`), so
// each says what it does, the SQL verb first.

/** The outbox row's six parameters, in the order both writing statements take them. */
const outboxValues = (event: OutboxRow) => [
  event.aggregateId,
  event.eventType,
  event.topic,
  event.messageKey,
  JSON.stringify(event.payload),
  event.traceContext ?? null,
];

const INT8_OID = 20;
/** BIGINT columns as BigInt, as Prisma returns them (pg's default is a string). */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => BigInt(value)
      : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

export function openOrderStatements(
  postgresUrl: string,
  options: { max?: number } = {},
): OrderStatements {
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
    async findByIds(ids) {
      // Not a UUID is not an order (PostgreSQL would refuse the cast, not answer "none").
      const uuids = ids.filter(isUuid);
      if (uuids.length === 0) return [];
      const result = await pool.query<OrderRow>({
        name: 'orders-by-id',
        text: BY_IDS,
        values: [uuids],
        types,
      });
      return result.rows;
    },
    async findAtVersion(id, version) {
      if (!isUuid(id)) return null;
      const result = await pool.query<OrderRow>({
        name: 'order-at-version',
        text: AT_VERSION,
        values: [id, version],
        types,
      });
      return result.rows[0] ?? null;
    },
    async changeStatusIfUnchanged({ current, to, at, event }) {
      const result = await pool.query<OrderRow>({
        name: 'update-order-status',
        text: CHANGE_STATUS,
        values: [current.id, to, at, current.status, current.version, ...outboxValues(event)],
        types,
      });
      return result.rows[0];
    },
    async createOrder(order, event) {
      const result = await pool.query<OrderRow>({
        name: 'insert-order-from-checkout',
        text: CREATE_ORDER,
        values: [
          order.id,
          order.checkoutId,
          order.userId,
          order.totalCents.toString(),
          order.currency,
          order.at,
          order.items.map((i) => i.productId),
          order.items.map((i) => i.productName),
          order.items.map((i) => i.quantity),
          order.items.map((i) => i.unitPriceCents.toString()),
          ...outboxValues(event),
        ],
        types,
      });
      return result.rows[0];
    },
    close: () => pool.end(),
  };
}
