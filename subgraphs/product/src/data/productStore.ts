import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { openCatalogReads } from './catalogReads';
import { Prisma, PrismaClient, type Product } from '../__generated__/prisma/client';

/** A catalog row as Prisma returns it; GraphQL and gRPC map it at their edges. */
export type ProductRow = Product;

/** One page in catalog (id) order; `hasNextPage` comes from reading one row past the page. */
export interface ProductPage {
  rows: ProductRow[];
  hasNextPage: boolean;
}

/** A product to put in the catalog when missing (the seed). */
export interface NewProduct {
  id: number;
  name: string;
  description: string | null;
  priceCents: number;
  currency: string;
  imageUrl: string | null;
}

export interface ProductStoreOptions {
  /** Absolute `file:` URL of the SQLite database (migrated before the store is used). */
  databaseUrl: string;
  /**
   * Called with the SQL of every statement that reaches SQLite (better-sqlite3's `verbose`
   * hook, below Prisma): what tests count to prove batching, and what LOG_LEVEL=trace logs.
   */
  onStatement?: (sql: string) => void;
  /** How long a statement waits for another connection's write lock. */
  busyTimeoutMs?: number;
}

export interface ProductStore {
  /** Up to `first` products after the one with id `afterId` (exclusive), in id order. */
  page(first: number, afterId?: number): Promise<ProductPage>;
  count(): Promise<number>;
  /**
   * The products among `ids` that exist, keyed by id, in ONE query however many ids are asked
   * for (the DataLoader and the gRPC catalog both rely on that). Ids that are not product ids
   * (not a positive integer) are simply absent.
   */
  findByIds(ids: readonly string[]): Promise<Map<string, ProductRow>>;
  /** Inserts the products whose id is not taken; returns how many were inserted. */
  insertMissing(products: readonly NewProduct[]): Promise<number>;
  /** Resolves when the database answers a query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** SQLite INTEGER ids as Prisma's Int (32-bit); anything else cannot name a product. */
const MAX_ID = 2_147_483_647;

export function parseProductId(id: string): number | undefined {
  if (!/^[1-9]\d{0,9}$/.test(id)) return undefined;
  const n = Number(id);
  return n <= MAX_ID ? n : undefined;
}

export async function openProductStore(options: ProductStoreOptions): Promise<ProductStore> {
  const { onStatement } = options;
  const adapter = new PrismaBetterSQLite3({
    url: options.databaseUrl,
    timeout: options.busyTimeoutMs ?? 5000,
    verbose: onStatement ? (sql) => onStatement(String(sql)) : undefined,
  });
  const prisma = new PrismaClient({ adapter });
  await prisma.$connect();
  // WAL lets catalog reads proceed while a write (the seed, an admin change) is in progress.
  // It is a property of the file, so setting it on every start is idempotent.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  // The two hot reads (catalog page, products by id) skip Prisma: see catalogReads.ts.
  const reads = openCatalogReads({ databaseUrl: options.databaseUrl, onStatement });

  return {
    async page(first, afterId) {
      const rows = reads.page(first + 1, afterId ?? 0);
      return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
    },
    count: () => prisma.product.count(),
    async findByIds(ids) {
      const wanted = [...new Set(ids.map(parseProductId).filter((id) => id !== undefined))];
      if (wanted.length === 0) return new Map();
      const rows = reads.byIds(wanted);
      return new Map(rows.map((row) => [String(row.id), row]));
    },
    async insertMissing(products) {
      if (products.length === 0) return 0;
      // Raw SQL because Prisma's createMany has no skipDuplicates on SQLite, and one
      // INSERT … ON CONFLICT DO NOTHING stays correct when two replicas seed at the same moment.
      const values = products.map(
        (p) =>
          Prisma.sql`(${p.id}, ${p.name}, ${p.description}, ${p.priceCents}, ${p.currency}, ${p.imageUrl})`,
      );
      return prisma.$executeRaw`
        INSERT INTO products (id, name, description, price_cents, currency, image_url)
        VALUES ${Prisma.join(values)}
        ON CONFLICT (id) DO NOTHING`;
    },
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    async close() {
      reads.close();
      await prisma.$disconnect();
    },
  };
}
