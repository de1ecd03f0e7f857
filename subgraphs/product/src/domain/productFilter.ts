import { badUserInput, parseCents } from '@shop/shared';

/** `products(filter:)` as the API takes it (the generated ProductFilter's shape). */
export interface ProductFilterInput {
  search?: string | null;
  categoryId?: string | null;
  minPrice?: string | null;
  maxPrice?: string | null;
  inStock?: boolean | null;
}

/** The filter checked and in the catalog's units; the category is checked against the store. */
export interface CatalogFilter {
  search?: string;
  categoryId?: number;
  minCents?: number;
  maxCents?: number;
  /** true: only products a shopper can buy now; false: only those they cannot. */
  inStock?: boolean;
}

export const MAX_SEARCH_LENGTH = 200;

const PRICE = /^\d{1,9}(\.\d{1,2})?$/;

function price(field: 'minPrice' | 'maxPrice', value: string | null | undefined) {
  if (value == null) return undefined;
  if (!PRICE.test(value)) {
    throw badUserInput(
      `\`filter.${field}\` must be a non-negative decimal amount with at most 2 places, such as ` +
        `"49.99" (got ${JSON.stringify(value)}).`,
      { argumentName: `filter.${field}` },
    );
  }
  return parseCents(value);
}

/** BAD_USER_INPUT naming the field for anything that is not a usable filter. */
export function parseProductFilter(input: ProductFilterInput | null | undefined): CatalogFilter {
  if (!input) return {};
  const filter: CatalogFilter = {};
  const search = input.search?.trim();
  if (search) {
    if (search.length > MAX_SEARCH_LENGTH) {
      throw badUserInput(
        `\`filter.search\` is at most ${MAX_SEARCH_LENGTH} characters (got ${search.length}).`,
        { argumentName: 'filter.search' },
      );
    }
    filter.search = search;
  }
  if (input.categoryId != null) {
    if (!/^[1-9]\d{0,8}$/.test(input.categoryId)) throw unknownCategory(input.categoryId);
    filter.categoryId = Number(input.categoryId);
  }
  filter.minCents = price('minPrice', input.minPrice);
  filter.maxCents = price('maxPrice', input.maxPrice);
  if (
    filter.minCents !== undefined &&
    filter.maxCents !== undefined &&
    filter.minCents > filter.maxCents
  ) {
    throw badUserInput(
      `\`filter.minPrice\` (${input.minPrice}) is above \`filter.maxPrice\` (${input.maxPrice}); ` +
        'swap them or leave one out.',
      { argumentName: 'filter.minPrice' },
    );
  }
  if (input.inStock != null) filter.inStock = input.inStock;
  return filter;
}

export function unknownCategory(categoryId: string) {
  return badUserInput(
    `\`filter.categoryId\` ${JSON.stringify(categoryId)} names no category; take an id from ` +
      '`categories`.',
    { argumentName: 'filter.categoryId' },
  );
}
