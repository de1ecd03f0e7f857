import { randomUUID } from 'node:crypto';
import { Prisma, type CheckoutSession, type CheckoutStatus } from '../__generated__/prisma/client';
import { currentTraceparent } from '@shop/shared';
import type { CheckoutDatabase } from './prismaClient';

/** A checkout_sessions row as Prisma returns it; resolvers map it to the GraphQL type. */
export type SessionRecord = CheckoutSession;
export type { CheckoutStatus };

/** One line of `cart_snapshot`: what was bought, at which catalog price (decimal string). */
export interface SnapshotItem {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: string;
}

/** A snapshot line with its session's currency: the parent of GraphQL's CheckoutItem. */
export interface PricedItem extends SnapshotItem {
  currency: string;
}

export interface ShippingAddress {
  name: string;
  line1: string;
  line2: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export interface NewSession {
  userId: string;
  idempotencyKey: string;
  requestFingerprint: string;
  items: SnapshotItem[];
  /** Decimal string, e.g. "1329.98". */
  total: string;
  currency: string;
  shippingAddress: ShippingAddress;
  paymentMethod: string;
}

export interface Failure {
  code: string;
  reason: string;
  /** Compensation the failure leaves owed; see README.md, "Steps, compensation, recovery". */
  releasePending: boolean;
  refundPending: boolean;
}

export interface OutboxMessage {
  eventType: string;
  topic: string;
  key: string;
  payload: Prisma.InputJsonValue;
}

export const TERMINAL_STATUSES: readonly CheckoutStatus[] = ['COMPLETED', 'FAILED'];

/**
 * A `checkout_sessions` row under Prisma's field names, for the raw statements below: what
 * they return is the same `SessionRecord` a Prisma read returns (sessionStore.test.ts compares
 * them), once `sessionRecord` has turned the amount into Prisma's Decimal.
 */
const SESSION_COLUMNS = `id, user_id AS "userId", idempotency_key AS "idempotencyKey",
  request_fingerprint AS "requestFingerprint", status, cart_snapshot AS "cartSnapshot",
  total_amount AS "totalAmount", currency, shipping_address AS "shippingAddress",
  payment_method AS "paymentMethod", inventory_reservation_id AS "inventoryReservationId",
  payment_id AS "paymentId", failure_code AS "failureCode", failure_reason AS "failureReason",
  release_pending AS "releasePending", refund_pending AS "refundPending",
  lease_owner AS "leaseOwner", lease_expires_at AS "leaseExpiresAt", created_at AS "createdAt",
  updated_at AS "updatedAt", completed_at AS "completedAt"`;

/** A row as pg returns SESSION_COLUMNS: numeric comes back as a decimal string. */
type SessionRow = Omit<SessionRecord, 'totalAmount'> & { totalAmount: string };

function sessionRecord(row: SessionRow): SessionRecord {
  return { ...row, totalAmount: new Prisma.Decimal(row.totalAmount) };
}

/**
 * The row was not in the state this process expected, or this process no longer holds its
 * lease: another process (recovery after our lease ran out) drives it now. The caller stops.
 */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(readonly sessionId: string) {
    super(`checkout ${sessionId} is no longer driven by this process`);
  }
}

export function needsWork(session: SessionRecord): boolean {
  return (
    !TERMINAL_STATUSES.includes(session.status) || session.releasePending || session.refundPending
  );
}

/**
 * Every read and write of checkout sessions and of the outbox. Writes that move a saga are
 * guarded by the expected status and by this process's lease (`owner`), so two processes can
 * never both move one session, and a step that lost the race learns it (LeaseLostError)
 * instead of overwriting the winner.
 *
 * Leases use this process's clock: the processes that share a database also share a network
 * time source, and a lease lasts seconds, so clock skew of milliseconds does not matter.
 */
export function createSessionStore(
  { prisma, pool }: Pick<CheckoutDatabase, 'prisma' | 'pool'>,
  options: { leaseMs: number },
) {
  /** Identifies this process as a lease holder; new on every start. */
  const owner = randomUUID();
  const leaseUntil = () => new Date(Date.now() + options.leaseMs);

  /**
   * The hot statements (every checkout runs each of them) go to pg directly, on the pool under
   * Prisma's adapter: through Prisma even a raw statement is compiled by its query compiler
   * and its rows converted, about 0.2 ms of CPU more per statement (docs/performance.md,
   * profile 8). Each is named, so pg prepares it once per connection and PostgreSQL does not
   * parse and plan it again on every call, as the orders subgraph's hot statements are
   * (subgraphs/orders/src/data/orderStatements.ts).
   */
  async function sessionRows(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<SessionRecord[]> {
    const { rows } = await pool.query<SessionRow>({ name, text, values });
    return rows.map(sessionRecord);
  }

  async function guardedUpdate(
    id: string,
    from: CheckoutStatus,
    data: Prisma.CheckoutSessionUpdateInput,
  ): Promise<SessionRecord> {
    try {
      return await prisma.checkoutSession.update({
        where: { id, status: from, leaseOwner: owner },
        data,
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025') {
        throw new LeaseLostError(id);
      }
      throw err;
    }
  }

  return {
    owner,

    /**
     * Inserts a new INITIATED session leased to this process. Undefined when the user already
     * has a session with this idempotency key (a concurrent submission won the insert).
     */
    async insert(session: NewSession): Promise<SessionRecord | undefined> {
      // Raw, like advance(): one per checkout, and Prisma's createManyAndReturn compiled its
      // query on every call. ON CONFLICT DO NOTHING: the unique (user_id, idempotency_key)
      // index is the guard that holds across processes; the loser reads the winner's row.
      const [row] = await sessionRows(
        'checkout-insert',
        `INSERT INTO checkout_sessions (id, user_id, idempotency_key, request_fingerprint, status,
                cart_snapshot, total_amount, currency, shipping_address, payment_method,
                lease_owner, lease_expires_at, updated_at)
         VALUES ($1::uuid, $2, $3, $4, 'INITIATED', $5::jsonb, $6::numeric, $7, $8::jsonb, $9,
                 $10, $11::timestamptz, $12::timestamptz)
         ON CONFLICT DO NOTHING
         RETURNING ${SESSION_COLUMNS}`,
        [
          randomUUID(),
          session.userId,
          session.idempotencyKey,
          session.requestFingerprint,
          JSON.stringify(session.items),
          session.total,
          session.currency,
          JSON.stringify(session.shippingAddress),
          session.paymentMethod,
          owner,
          leaseUntil(),
          new Date(),
        ],
      );
      return row;
    },

    findById: (id: string) => prisma.checkoutSession.findUnique({ where: { id } }),

    findByIds: (ids: readonly string[]) =>
      prisma.checkoutSession.findMany({ where: { id: { in: [...ids] } } }),

    /** Raw for the same reason as insert(): every checkout asks it first. */
    async findByKey(userId: string, idempotencyKey: string): Promise<SessionRecord | null> {
      const [row] = await sessionRows(
        'checkout-by-key',
        `SELECT ${SESSION_COLUMNS} FROM checkout_sessions WHERE user_id = $1 AND idempotency_key = $2`,
        [userId, idempotencyKey],
      );
      return row ?? null;
    },

    /**
     * Moves a session one step forward, keeping the lease. Every checkout takes three of these,
     * so it is one raw statement: Prisma's `update` compiles its query in WebAssembly on every
     * call, and the profile of the checkout process under `bench:checkout` had that compiler
     * at a quarter of its busy time (docs/performance.md, profile 4). The guard is the same:
     * the expected status and this process's lease, or LeaseLostError.
     */
    async advance(
      id: string,
      from: CheckoutStatus,
      to: CheckoutStatus,
      fields: { inventoryReservationId?: string; paymentId?: string } = {},
    ): Promise<SessionRecord> {
      const [row] = await sessionRows(
        'checkout-advance',
        `UPDATE checkout_sessions
            SET status = $1::checkout_status,
                inventory_reservation_id = COALESCE($2::varchar, inventory_reservation_id),
                payment_id = COALESCE($3::varchar, payment_id),
                lease_expires_at = $4::timestamptz, updated_at = $5::timestamptz
          WHERE id = $6::uuid AND status = $7::checkout_status AND lease_owner = $8
         RETURNING ${SESSION_COLUMNS}`,
        [
          to,
          fields.inventoryReservationId ?? null,
          fields.paymentId ?? null,
          leaseUntil(),
          new Date(),
          id,
          from,
          owner,
        ],
      );
      if (!row) throw new LeaseLostError(id);
      return row;
    },

    /** FAILED with its reason; the lease is kept while compensation is owed. */
    fail(id: string, from: CheckoutStatus, failure: Failure): Promise<SessionRecord> {
      const owed = failure.releasePending || failure.refundPending;
      return guardedUpdate(id, from, {
        status: 'FAILED',
        failureCode: failure.code,
        failureReason: failure.reason,
        releasePending: failure.releasePending,
        refundPending: failure.refundPending,
        leaseOwner: owed ? owner : null,
        leaseExpiresAt: owed ? leaseUntil() : null,
      });
    },

    /**
     * Records which compensations are still owed. When some are, the lease is left to run out
     * (the owner stops renewing it), so recovery retries after SAGA_LEASE_MS, not in a hot loop.
     */
    async settleCompensation(
      id: string,
      owed: { releasePending: boolean; refundPending: boolean },
    ): Promise<SessionRecord> {
      const done = !owed.releasePending && !owed.refundPending;
      return guardedUpdate(id, 'FAILED', {
        ...owed,
        ...(done ? { leaseOwner: null, leaseExpiresAt: null } : {}),
      });
    },

    /**
     * COMPLETED and its CheckoutCompleted outbox row in one statement, so in one transaction:
     * the event exists if and only if the checkout completed, whatever crashes when. The outbox
     * insert reads the guarded update's result, so a lost lease writes neither. One raw
     * statement rather than Prisma's interactive transaction (five round trips, each compiled):
     * every checkout ends here, and the time from COMPLETED to the event on the topic starts
     * with this commit (docs/performance.md, profile 8).
     */
    async complete(id: string, completedAt: Date, message: OutboxMessage): Promise<SessionRecord> {
      const [row] = await sessionRows(
        'checkout-complete',
        `WITH done AS (
           UPDATE checkout_sessions
              SET status = 'COMPLETED', completed_at = $1::timestamptz,
                  lease_owner = NULL, lease_expires_at = NULL, updated_at = $2::timestamptz
            WHERE id = $3::uuid AND status = 'PAYMENT_COMPLETED' AND lease_owner = $4
           RETURNING *
         ), event AS (
           INSERT INTO outbox_events (aggregate_id, event_type, topic, message_key, payload,
                                      trace_context)
           SELECT id::text, $5, $6, $7, $8::jsonb, $9 FROM done
         )
         SELECT ${SESSION_COLUMNS} FROM done`,
        [
          completedAt,
          new Date(),
          id,
          owner,
          message.eventType,
          message.topic,
          message.key,
          JSON.stringify(message.payload),
          currentTraceparent(),
        ],
      );
      if (!row) throw new LeaseLostError(id);
      return row;
    },

    /** For readiness: throws when PostgreSQL cannot answer. */
    async ping(): Promise<void> {
      await pool.query('SELECT 1');
    },

    /** Extends this process's leases on the sessions it is driving right now. */
    async renewLeases(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      // Raw SQL: a lease renewal is not a change of the session, so updated_at stays.
      await pool.query(
        `UPDATE checkout_sessions SET lease_expires_at = $1::timestamptz
          WHERE id = ANY($2::uuid[]) AND lease_owner = $3`,
        [leaseUntil(), [...ids], owner],
      );
    },

    /**
     * Takes over unfinished sessions whose lease ran out (their process died or gave up), at
     * most `limit`, oldest lease first. SKIP LOCKED lets several recovering processes split
     * the work instead of queueing on the same rows.
     */
    async claimStale(limit: number, onlyId?: string): Promise<SessionRecord[]> {
      const now = new Date();
      const claimed = await prisma.$queryRaw<{ id: string }[]>`
        UPDATE checkout_sessions SET lease_owner = ${owner}, lease_expires_at = ${leaseUntil()}
         WHERE id IN (
           SELECT id FROM checkout_sessions
            WHERE ("status" NOT IN ('COMPLETED', 'FAILED') OR release_pending OR refund_pending)
              AND (lease_expires_at IS NULL OR lease_expires_at < ${now})
              AND (${onlyId ?? null}::uuid IS NULL OR id = ${onlyId ?? null}::uuid)
            ORDER BY lease_expires_at NULLS FIRST
            LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
        RETURNING id`;
      if (claimed.length === 0) return [];
      return prisma.checkoutSession.findMany({ where: { id: { in: claimed.map((r) => r.id) } } });
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
