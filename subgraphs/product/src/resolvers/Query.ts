import type { QueryResolvers } from '../__generated__/resolvers-types';
import { decodeProductCursor, pageSize } from '../domain/productCursor';

/** The catalog is public: neither field needs a viewer. */
export const Query: QueryResolvers = {
  products: (_parent, { first, after }, { store }) => {
    const size = pageSize(first);
    const afterId = after == null ? undefined : decodeProductCursor(after);
    return store.page(size, afterId);
  },
  product: (_parent, { id }, { loaders }) => loaders.productById.load(id),
};
