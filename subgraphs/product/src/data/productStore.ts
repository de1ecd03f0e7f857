import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { openCatalogReads } from './catalogReads';
import { Prisma, PrismaClient, type Category, type Product } from '../__generated__/prisma/client';
import type { ProductPosition, ProductSort } from '../domain/productCursor';
import type { CatalogFilter } from '../domain/productFilter';

/** A catalog row as Prisma returns it; GraphQL and gRPC map it at their edges. */
export type ProductRow = Product;
export type CategoryRow = Category;

/**
 * Which products a page draws from: the checked filter, with `inStock` already turned into the
 * ids inventory says are (or are not) in stock.
 */
export interface CatalogSelection {
  filter: Omit<CatalogFilter, 'inStock'>;
  ids?: { in: number[] } | { notIn: number[] };
}

/** An edge of a page: its cursor needs the page's sort as well as the row. */
export interface ProductEdgeParent {
  row: ProductRow;
  sort: ProductSort;
}

/** One page in `sort` order; `hasNextPage` comes from reading one row past the page. */
export interface ProductPage {
  rows: ProductRow[];
  hasNextPage: boolean;
  sort: ProductSort;
  /** What `totalCount` counts: the same selection, without the page's bounds. */
  selection: CatalogSelection;
}

/** A product to put in the catalog when missing (the seed). */
export interface NewProduct {
  id: number;
  name: string;
  description: string | null;
  priceCents: number;
  currency: string;
  imageUrl: string | null;
  categoryId: number;
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
  /** Up to `first` selected products after `after` (exclusive), in `sort` order. */
  page(
    selection: CatalogSelection,
    sort: ProductSort,
    first: number,
    after?: ProductPosition,
  ): Promise<ProductPage>;
  /** How many products the selection holds (all of them without one). */
  count(selection?: CatalogSelection): Promise<number>;
  /** The ids of every product the filter selects (what inventory is asked about for `inStock`). */
  selectedIds(filter: CatalogSelection['filter']): Promise<number[]>;
  /** Every category, by name. */
  categories(): Promise<CategoryRow[]>;
  /** The categories among `ids`, keyed by id, in one query (the Product.category loader). */
  findCategories(ids: readonly number[]): Promise<Map<number, CategoryRow>>;
  /** Inserts the categories whose id is not taken. */
  insertMissingCategories(categories: readonly { id: number; name: string }[]): Promise<number>;
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

function whereOf(selection: CatalogSelection): Prisma.ProductWhereInput {
  const { search, categoryId, minCents, maxCents } = selection.filter;
  const and: Prisma.ProductWhereInput[] = [];
  // Prisma's `contains` is SQLite LIKE with the wildcards escaped: case-insensitive for ASCII.
  if (search) {
    and.push({ OR: [{ name: { contains: search } }, { description: { contains: search } }] });
  }
  if (categoryId !== undefined) and.push({ categoryId });
  if (minCents !== undefined) and.push({ priceCents: { gte: minCents } });
  if (maxCents !== undefined) and.push({ priceCents: { lte: maxCents } });
  if (selection.ids) and.push({ id: selection.ids });
  return { AND: and };
}

/** Sort order with the id tie-break, which makes every order total (so keysets are exact). */
function orderOf(sort: ProductSort): Prisma.ProductOrderByWithRelationInput[] {
  switch (sort) {
    case 'NAME':
      return [{ name: 'asc' }, { id: 'asc' }];
    case 'PRICE_ASC':
      return [{ priceCents: 'asc' }, { id: 'asc' }];
    case 'PRICE_DESC':
      return [{ priceCents: 'desc' }, { id: 'asc' }];
    case 'NEWEST':
      // Ids are handed out in the order products are added, so the highest id is the newest;
      // unlike created_at (second precision, a whole seed shares one) it never ties.
      return [{ id: 'desc' }];
  }
}

/** Strictly after `p` in `p.sort` order: the keyset condition matching orderOf. */
function afterOf(p: ProductPosition): Prisma.ProductWhereInput {
  switch (p.sort) {
    case 'NAME':
      return { OR: [{ name: { gt: String(p.key) } }, { name: String(p.key), id: { gt: p.id } }] };
    case 'PRICE_ASC':
      return {
        OR: [
          { priceCents: { gt: Number(p.key) } },
          { priceCents: Number(p.key), id: { gt: p.id } },
        ],
      };
    case 'PRICE_DESC':
      return {
        OR: [
          { priceCents: { lt: Number(p.key) } },
          { priceCents: Number(p.key), id: { gt: p.id } },
        ],
      };
    case 'NEWEST':
      return { id: { lt: p.id } };
  }
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
  // The hot read by id (every federated Product reference) skips Prisma: see catalogReads.ts.
  const reads = openCatalogReads({ databaseUrl: options.databaseUrl, onStatement });

  return {
    async page(selection, sort, first, after) {
      const where = whereOf(selection);
      const rows = await prisma.product.findMany({
        where: after ? { AND: [where, afterOf(after)] } : where,
        orderBy: orderOf(sort),
        take: first + 1,
      });
      return { rows: rows.slice(0, first), hasNextPage: rows.length > first, sort, selection };
    },
    count: (selection) => prisma.product.count({ where: selection && whereOf(selection) }),
    async selectedIds(filter) {
      const rows = await prisma.product.findMany({
        where: whereOf({ filter }),
        select: { id: true },
      });
      return rows.map((row) => row.id);
    },
    categories: () => prisma.category.findMany({ orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
    async findCategories(ids) {
      const rows = await prisma.category.findMany({ where: { id: { in: [...new Set(ids)] } } });
      return new Map(rows.map((row) => [row.id, row]));
    },
    async insertMissingCategories(categories) {
      if (categories.length === 0) return 0;
      const values = categories.map((c) => Prisma.sql`(${c.id}, ${c.name})`);
      return prisma.$executeRaw`
        INSERT INTO categories (id, name) VALUES ${Prisma.join(values)}
        ON CONFLICT (id) DO NOTHING`;
    },
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
          Prisma.sql`(${p.id}, ${p.name}, ${p.description}, ${p.priceCents}, ${p.currency}, ${p.imageUrl}, ${p.categoryId})`,
      );
      return prisma.$executeRaw`
        INSERT INTO products (id, name, description, price_cents, currency, image_url, category_id)
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
