import Database from 'better-sqlite3';
import type { Product } from '../__generated__/prisma/client';

/**
 * The catalog's hottest read, products by id (every federated reference), as a prepared better-sqlite3 statement on a read-only connection. (The filtered, sorted catalog page
 * stays on Prisma: its WHERE and ORDER BY vary with the filter and sort.)
 *
 * Why not Prisma here: the profile under `bench:gateway` (docs/performance.md, finding 2) showed
 * a third of the product subgraph's busy time inside Prisma's client runtime: every `findMany`
 * compiles the query again in WebAssembly, prepares the SQL again and interprets the result.
 * These statements are prepared once, run synchronously (a 20-row page from SQLite's page cache
 * takes microseconds, less than the promise machinery around an async driver) and read the same
 * rows, so nothing is cached and nothing can be stale: a price changed in the database is what
 * the next read returns, for GraphQL and for checkout's gRPC catalog alike. Writes, migrations
 * and the rest stay on Prisma.
 */
export interface CatalogReads {
  /** The products among `ids` (already parsed, distinct), in one statement whatever their count. */
  byIds(ids: readonly number[]): Product[];
  close(): void;
}

interface ProductRecord {
  id: number;
  name: string;
  description: string | null;
  priceCents: number;
  currency: string;
  imageUrl: string | null;
  createdAt: string | number;
  categoryId: number;
}

const COLUMNS = `id, name, description, price_cents AS priceCents, currency,
  image_url AS imageUrl, created_at AS createdAt, category_id AS categoryId`;

export function openCatalogReads(options: {
  databaseUrl: string;
  onStatement?: (sql: string) => void;
}): CatalogReads {
  const file = options.databaseUrl.replace(/^file:/, '').replace(/\?.*$/, '');
  const db = new Database(file, {
    readonly: true,
    verbose: options.onStatement ? (sql) => options.onStatement?.(String(sql)) : undefined,
  });
  // Prepared on first use, so a store opened before its migration (or on a broken file)
  // fails on the read, as a rejected query, like Prisma did.
  let byIds: Database.Statement<[string], ProductRecord> | undefined;
  return {
    byIds(ids) {
      // json_each turns one JSON array parameter into the IN list: one prepared statement
      // serves a cart of one product and an `_entities` call for fifty.
      byIds ??= db.prepare(
        `SELECT ${COLUMNS} FROM products WHERE id IN (SELECT value FROM json_each(?))`,
      );
      return byIds.all(JSON.stringify(ids)).map(toProduct);
    },
    close: () => db.close(),
  };
}

/** Prisma's row shape; `created_at` is SQLite's CURRENT_TIMESTAMP text (UTC) or epoch ms. */
function toProduct(record: ProductRecord): Product {
  const { createdAt } = record;
  return {
    ...record,
    createdAt:
      typeof createdAt === 'number'
        ? new Date(createdAt)
        : new Date(`${createdAt.replace(' ', 'T')}Z`),
  };
}
