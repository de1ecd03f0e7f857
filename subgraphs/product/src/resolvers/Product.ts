import { maybeCacheControlFromInfo } from '@apollo/cache-control-types';
import { money } from '@shop/shared';
import type { ProductResolvers } from '../__generated__/resolvers-types';

export const Product: ProductResolvers = {
  /**
   * How the gateway fetches products for other subgraphs (cart items, order items): through
   * the request's loader, so N references cost one SQL query, and null for an id that no
   * longer exists (the referencing field decides whether that is an error).
   */
  // The generated type takes `id` from the mapper (a number); on the wire it is the ID string.
  __resolveReference: (reference, { loaders }) => loaders.productById.load(String(reference.id)),
  id: (row) => String(row.id),
  price: (row) => money(row.priceCents, row.currency),
  /** Batched per request; every product's category exists (a foreign key), so never null. */
  category: async (row, _args, { loaders }) => {
    const category = await loaders.categoryById.load(row.categoryId);
    if (!category) throw new Error(`product ${row.id} names missing category ${row.categoryId}`);
    return category;
  },
  /**
   * Live from the inventory stub, batched per request. Non-null as the contract says: with
   * inventory unreachable the loader's SERVICE_UNAVAILABLE (naming inventory) nulls the nearest
   * nullable parent; queries that do not ask for availability never call inventory.
   * Stock changes with every checkout and cancellation, so an answer holding it is never
   * reused: maxAge 0 makes it `Cache-Control: no-store` for the gateway's public cache.
   */
  availability: async (row, _args, { loaders }, info) => {
    maybeCacheControlFromInfo(info)?.setCacheHint({ maxAge: 0 });
    const quantityAvailable = await loaders.availabilityById.load(String(row.id));
    return { inStock: quantityAvailable > 0, quantityAvailable };
  },
};
