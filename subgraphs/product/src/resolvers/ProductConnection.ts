import type {
  ProductConnectionResolvers,
  ProductEdgeResolvers,
} from '../__generated__/resolvers-types';
import { encodeProductCursor, sortKeyOf } from '../domain/productCursor';
import type { ProductEdgeParent } from '../data/productStore';

function cursorOf({ row, sort }: ProductEdgeParent): string {
  return encodeProductCursor({ sort, key: sortKeyOf(sort, row), id: row.id });
}

export const ProductConnection: ProductConnectionResolvers = {
  edges: (page) => page.rows.map((row) => ({ row, sort: page.sort })),
  pageInfo: (page) => {
    const last = page.rows.at(-1);
    return {
      hasNextPage: page.hasNextPage,
      endCursor: last ? cursorOf({ row: last, sort: page.sort }) : null,
    };
  },
  // Counted only when asked for: most pages do not need it, and it is a second query.
  totalCount: (page, _args, { store }) => store.count(page.selection),
};

/** An edge's cursor is its row's keyset position under the page's sort. */
export const ProductEdge: ProductEdgeResolvers = {
  cursor: cursorOf,
  node: (edge) => edge.row,
};
