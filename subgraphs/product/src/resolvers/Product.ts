import { DependencyUnavailableError } from '@shop/internal-grpc';
import { money, serviceUnavailable } from '@shop/shared';
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
  /**
   * Live from the inventory stub, batched per request. With inventory unreachable only this
   * field fails (SERVICE_UNAVAILABLE, the field null); the rest of the product still answers.
   */
  availability: async (row, _args, { loaders, logger }) => {
    try {
      const quantityAvailable = await loaders.availabilityById.load(String(row.id));
      return { inStock: quantityAvailable > 0, quantityAvailable };
    } catch (err) {
      if (err instanceof DependencyUnavailableError) {
        logger.warn({ err }, 'inventory unavailable; availability not served');
        throw serviceUnavailable(
          'Stock levels are unavailable right now (inventory does not answer); try again shortly.',
        );
      }
      throw err;
    }
  },
};
