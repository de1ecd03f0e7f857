import { badUserInput } from '@shop/shared';

/**
 * Cursors are opaque to clients (base64url of a versioned keyset position) so the position can
 * change shape later without breaking them. The position is the product id: "after id N" still
 * means the same place when products are added or deleted, unlike an offset.
 */
const PREFIX = 'product:v1:';

export function encodeProductCursor(id: number): string {
  return Buffer.from(`${PREFIX}${id}`, 'utf8').toString('base64url');
}

/** The id a cursor points at; BAD_USER_INPUT for anything this API did not issue. */
export function decodeProductCursor(cursor: string): number {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  const match = new RegExp(`^${PREFIX}([1-9]\\d{0,9})$`).exec(decoded);
  if (!match) {
    throw badUserInput(
      'The `after` cursor is not one this API issued. Pass `pageInfo.endCursor` (or an ' +
        "edge's `cursor`) from an earlier `products` page, or leave `after` out to start at the " +
        'beginning.',
      { argumentName: 'after' },
    );
  }
  return Number(match[1]);
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
