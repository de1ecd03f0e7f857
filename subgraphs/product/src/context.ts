import DataLoader from 'dataloader';
import type { BaseContext } from '@shop/shared';
import type { ProductRow, ProductStore } from './data/productStore';

/** The one context every product resolver gets: the viewer plus the store and per-request loaders. */
export interface Context extends BaseContext {
  store: ProductStore;
  loaders: {
    /**
     * Products by id, batched: every `product(id)` and `_entities` reference in one request
     * share one SQL query. Null for ids that name no product.
     */
    productById: DataLoader<string, ProductRow | null>;
  };
}

/** Per request: fresh loaders, so batching and caching never cross requests. */
export function createContext(base: BaseContext, deps: { store: ProductStore }): Context {
  return { ...base, store: deps.store, loaders: createLoaders(deps.store) };
}

/**
 * One loader per request (so nothing is cached across requests or viewers): every id asked for
 * in the same tick, from `product(id)` or from the gateway's `_entities` call for a cart of
 * fifty items, becomes one `findByIds` call, i.e. one SQL query.
 */
function createLoaders(store: ProductStore): Context['loaders'] {
  return {
    productById: new DataLoader(async (ids) => {
      const found = await store.findByIds(ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
