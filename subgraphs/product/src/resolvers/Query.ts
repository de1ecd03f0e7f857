import { maybeCacheControlFromInfo } from '@apollo/cache-control-types';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { browseCatalog } from '../domain/catalogBrowse';

/** The catalog is public: no field needs a viewer. */
export const Query: QueryResolvers = {
  products: (_parent, args, { store, loaders }, info) => {
    // Which products are in stock changes with every sale: such a page is never reused.
    if (args.filter?.inStock != null) maybeCacheControlFromInfo(info)?.setCacheHint({ maxAge: 0 });
    return browseCatalog(
      {
        store,
        // Through the request's loader: one GetAvailability for the filter, and the page's
        // `availability` fields then read the same answers without a second call.
        availability: async (ids) => {
          const units = await Promise.all(
            ids.map((id) => loaders.availabilityById.load(String(id))),
          );
          return new Map(ids.map((id, i) => [id, units[i]!]));
        },
      },
      args,
    );
  },
  product: (_parent, { id }, { loaders }) => loaders.productById.load(id),
  categories: (_parent, _args, { store }) => store.categories(),
};
