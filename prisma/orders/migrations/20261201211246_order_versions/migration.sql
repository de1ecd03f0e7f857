-- CreateTable
CREATE TABLE "order_versions" (
    "order_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "status" "order_status" NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "order_versions_pkey" PRIMARY KEY ("order_id","version")
);

-- AddForeignKey
ALTER TABLE "order_versions" ADD CONSTRAINT "order_versions_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Existing orders: their current state is the only version known (earlier versions were not
-- kept before this table), so a read as of an older version of such an order is NOT_FOUND.
INSERT INTO "order_versions" ("order_id", "version", "status", "updated_at")
SELECT "id", "version", "status", "updated_at" FROM "orders";
