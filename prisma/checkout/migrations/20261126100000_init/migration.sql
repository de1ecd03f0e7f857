-- The checkout database: one row per checkout session, updated in place by every saga step, and
-- the transactional outbox the CheckoutCompleted event is written to with the COMPLETED state.
-- Generated with `prisma migrate diff --from-empty --to-schema-datamodel prisma/checkout/schema.prisma`
-- and then edited by hand where Prisma cannot express what we want:
--   1. CHECK constraints (a completed session has its completion time and its payment; a failed
--      one says why; totals are never negative), so no code path can write a nonsense row;
--   2. a partial index over the unfinished sessions, the only rows the recovery loop looks at;
--   3. the outbox table comes from shared/src/outbox/outbox.sql verbatim (partial index and
--      NOTIFY trigger included), so the shared relay finds exactly what it expects.

-- CreateEnum
CREATE TYPE "checkout_status" AS ENUM ('INITIATED', 'INVENTORY_RESERVED', 'PAYMENT_PENDING', 'PAYMENT_COMPLETED', 'COMPLETED', 'FAILED');

-- CreateTable
CREATE TABLE "checkout_sessions" (
    "id" UUID NOT NULL,
    "user_id" VARCHAR(255) NOT NULL,
    "idempotency_key" VARCHAR(255) NOT NULL,
    "request_fingerprint" CHAR(64) NOT NULL,
    "status" "checkout_status" NOT NULL,
    "cart_snapshot" JSONB NOT NULL,
    "total_amount" DECIMAL(12,2) NOT NULL,
    "currency" CHAR(3) NOT NULL DEFAULT 'USD',
    "shipping_address" JSONB NOT NULL,
    "payment_method" VARCHAR(64) NOT NULL,
    "inventory_reservation_id" VARCHAR(255),
    "payment_id" VARCHAR(255),
    "failure_code" VARCHAR(64),
    "failure_reason" TEXT,
    "release_pending" BOOLEAN NOT NULL DEFAULT false,
    "refund_pending" BOOLEAN NOT NULL DEFAULT false,
    "lease_owner" VARCHAR(64),
    "lease_expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "checkout_sessions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "checkout_sessions_total_not_negative" CHECK ("total_amount" >= 0),
    CONSTRAINT "checkout_sessions_completed_has_time_and_payment"
      CHECK ("status" <> 'COMPLETED' OR ("completed_at" IS NOT NULL AND "payment_id" IS NOT NULL)),
    CONSTRAINT "checkout_sessions_failed_says_why"
      CHECK ("status" <> 'FAILED' OR "failure_code" IS NOT NULL),
    CONSTRAINT "checkout_sessions_only_failed_compensates"
      CHECK (NOT ("release_pending" OR "refund_pending") OR "status" = 'FAILED')
);

-- CreateIndex
CREATE INDEX "checkout_sessions_user_created_idx" ON "checkout_sessions"("user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "checkout_sessions_user_idempotency_key" ON "checkout_sessions"("user_id", "idempotency_key");

-- The recovery loop's scan: sessions a saga still has to finish or compensate. Small by design
-- (finished rows leave it), so the periodic scan stays cheap however many sessions exist.
CREATE INDEX "checkout_sessions_unfinished_idx" ON "checkout_sessions"("lease_expires_at")
  WHERE "status" NOT IN ('COMPLETED', 'FAILED') OR "release_pending" OR "refund_pending";

-- ── shared/src/outbox/outbox.sql, verbatim ──────────────────────────────────────────────────
-- The transactional outbox: a service writes its event in the same transaction as the state
-- change it describes, and the relay (shared/src/outbox/relay.ts) publishes it to Kafka later.
-- Copy this into the owning service's migration; the relay relies on these exact names.
CREATE TABLE IF NOT EXISTS outbox_events (
  id           BIGSERIAL PRIMARY KEY,
  aggregate_id TEXT        NOT NULL,
  event_type   TEXT        NOT NULL,
  topic        TEXT        NOT NULL,
  message_key  TEXT        NOT NULL,
  payload      JSONB       NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  processed_at TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS outbox_events_unprocessed_idx
  ON outbox_events (id) WHERE processed_at IS NULL;

-- Wakes the relay as soon as the inserting transaction commits (NOTIFY is delivered on commit),
-- so the slow poll is only a fallback for a missed notification.
CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('outbox_events', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS outbox_events_notify_trigger ON outbox_events;
CREATE TRIGGER outbox_events_notify_trigger
  AFTER INSERT ON outbox_events
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify();
