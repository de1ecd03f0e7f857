import { badUserInput } from '@shop/shared';

/** The orders `products(sortBy:)` offers; each is total thanks to the id tie-break. */
export type ProductSort = 'NAME' | 'PRICE_ASC' | 'PRICE_DESC' | 'NEWEST';

/**
 * A keyset position under one sort: the sort key of the last product seen plus its id, which
 * breaks ties (many products share a price or a name), so "after this position" is exact: no
 * product is skipped or repeated across pages, and inserts or deletes do not shift it.
 * `key` is the name for NAME, price cents for the price sorts, and absent for NEWEST (id only).
 */
export interface ProductPosition {
  sort: ProductSort;
  key: string | number | null;
  id: number;
}

/**
 * Cursors are opaque to clients (base64url of a versioned position) so the position can change
 * shape later without breaking them.
 */
const VERSION = 'p2';
const SORTS: readonly ProductSort[] = ['NAME', 'PRICE_ASC', 'PRICE_DESC', 'NEWEST'];

export function sortKeyOf(sort: ProductSort, row: { name: string; priceCents: number }) {
  if (sort === 'NAME') return row.name;
  if (sort === 'NEWEST') return null;
  return row.priceCents;
}

export function encodeProductCursor(position: ProductPosition): string {
  const { sort, key, id } = position;
  return Buffer.from(JSON.stringify([VERSION, sort, key, id]), 'utf8').toString('base64url');
}

const notOurs = () =>
  badUserInput(
    'The `after` cursor is not one this API issued. Pass `pageInfo.endCursor` (or an ' +
      "edge's `cursor`) from an earlier `products` page, or leave `after` out to start at the " +
      'beginning.',
    { argumentName: 'after' },
  );

/** The position a cursor points at; BAD_USER_INPUT for anything this API did not issue. */
export function decodeProductCursor(cursor: string, sort: ProductSort): ProductPosition {
  let parsed: unknown;
  try {
    parsed = /^[A-Za-z0-9_-]+$/.test(cursor)
      ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
      : undefined;
  } catch {
    throw notOurs();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== VERSION) throw notOurs();
  const [, cursorSort, key, id] = parsed as [unknown, unknown, unknown, unknown];
  if (!SORTS.includes(cursorSort as ProductSort)) throw notOurs();
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw notOurs();
  const validKey =
    cursorSort === 'NAME'
      ? typeof key === 'string'
      : cursorSort === 'NEWEST'
        ? key === null
        : typeof key === 'number' && Number.isSafeInteger(key);
  if (!validKey) throw notOurs();
  if (cursorSort !== sort) {
    throw badUserInput(
      `The \`after\` cursor belongs to \`sortBy: ${String(cursorSort)}\`, not ${sort}: keep the ` +
        'same `sortBy` while paging, or leave `after` out to start again under the new order.',
      { argumentName: 'after' },
    );
  }
  return { sort, key: key as ProductPosition['key'], id };
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `first` as given (null means the default), or BAD_USER_INPUT when outside 1–100. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (size < 1 || size > MAX_PAGE_SIZE) {
    throw badUserInput(
      `\`first\` must be between 1 and ${MAX_PAGE_SIZE} (got ${size}); ask for the rest with ` +
        '`after: pageInfo.endCursor`.',
      { argumentName: 'first' },
    );
  }
  return size;
}
