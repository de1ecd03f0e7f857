-- Written by hand: `prisma migrate diff` could not diff this SQLite change on this machine
-- ("External error"); the statements are the table redefinition Prisma itself emits for SQLite.

-- CreateTable
CREATE TABLE "categories" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "categories_name_key" ON "categories"("name");

-- Data: rows from before categories existed default to category 1, so it must exist. The seed
-- (subgraphs/product/src/data/seedCatalog.ts) adds the others.
INSERT INTO "categories" ("id", "name") VALUES (1, 'Computers & Accessories');

-- RedefineTables: SQLite cannot add a column with a foreign key and a non-null default.
CREATE TABLE "new_products" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "price_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "image_url" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "category_id" INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT "products_category_id_fkey" FOREIGN KEY ("category_id") REFERENCES "categories" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_products" ("id", "name", "description", "price_cents", "currency", "image_url", "created_at")
    SELECT "id", "name", "description", "price_cents", "currency", "image_url", "created_at" FROM "products";
DROP TABLE "products";
ALTER TABLE "new_products" RENAME TO "products";

-- CreateIndex
CREATE INDEX "products_category_idx" ON "products"("category_id");

-- CreateIndex
CREATE INDEX "products_name_idx" ON "products"("name", "id");

-- CreateIndex
CREATE INDEX "products_price_idx" ON "products"("price_cents", "id");
