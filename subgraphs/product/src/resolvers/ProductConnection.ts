import type {
  ProductConnectionResolvers,
  ProductEdgeResolvers,
} from '../__generated__/resolvers-types';
import { encodeProductCursor } from '../domain/productCursor';

export const ProductConnection: ProductConnectionResolvers = {
  edges: (page) => page.rows,
  pageInfo: (page) => {
    const last = page.rows.at(-1);
    return {
      hasNextPage: page.hasNextPage,
      endCursor: last ? encodeProductCursor(last.id) : null,
    };
  },
  // Counted only when asked for: most pages do not need it, and it is a second query.
  totalCount: (_page, _args, { store }) => store.count(),
};

/** An edge's parent is the row itself; its cursor is the row's keyset position. */
export const ProductEdge: ProductEdgeResolvers = {
  cursor: (row) => encodeProductCursor(row.id),
  node: (row) => row,
};
