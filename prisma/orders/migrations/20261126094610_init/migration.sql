-- The orders database: orders, their items as bought, and the transactional outbox.
-- Generated with `prisma migrate diff --from-empty --to-schema-datamodel prisma/orders/schema.prisma`
-- and then edited by hand in two places Prisma cannot express:
--   1. CHECK constraints on quantities and amounts (the database refuses nonsense however the row
--      arrives);
--   2. the outbox table comes from shared/src/outbox/outbox.sql verbatim (partial index and
--      NOTIFY trigger included), so the shared relay finds exactly what it expects.

-- CreateEnum
CREATE TYPE "order_status" AS ENUM ('CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'CANCELLED');

-- CreateTable
CREATE TABLE "orders" (
    "id" UUID NOT NULL,
    "checkout_id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "status" "order_status" NOT NULL DEFAULT 'CONFIRMED',
    "total_cents" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_items" (
    "id" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL,
    "product_name" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price_cents" BIGINT NOT NULL,

    CONSTRAINT "order_items_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "orders_checkout_id_key" ON "orders"("checkout_id");

-- CreateIndex
CREATE INDEX "orders_user_newest_idx" ON "orders"("user_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "order_items_order_id_position_key" ON "order_items"("order_id", "position");

-- AddForeignKey
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: invariants the consumer already validates, enforced once more where the data lives.
ALTER TABLE "orders" ADD CONSTRAINT "orders_total_cents_nonnegative" CHECK ("total_cents" >= 0);
ALTER TABLE "orders" ADD CONSTRAINT "orders_currency_iso4217" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_quantity_positive" CHECK ("quantity" > 0);
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_unit_price_nonnegative" CHECK ("unit_price_cents" >= 0);

-- ---------------------------------------------------------------------------------------------
-- shared/src/outbox/outbox.sql, verbatim:
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
