-- CreateEnum
CREATE TYPE "refund_status" AS ENUM ('PENDING', 'REFUNDED', 'FAILED');

-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "cancellation_reason" TEXT,
ADD COLUMN     "refund_amount_cents" BIGINT,
ADD COLUMN     "refund_attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "refund_failure_reason" TEXT,
ADD COLUMN     "refund_refunded_at" TIMESTAMPTZ(3),
ADD COLUMN     "refund_requested_at" TIMESTAMPTZ(3),
ADD COLUMN     "refund_status" "refund_status";


-- A refund belongs to a cancelled order only (orders cancelled before this migration have none).
ALTER TABLE "orders" ADD CONSTRAINT "orders_refund_only_when_cancelled"
  CHECK ("refund_status" IS NULL OR "status" = 'CANCELLED');
