import DataLoader from 'dataloader';
import { DependencyUnavailableError, type InventoryClient } from '@shop/internal-grpc';
import { serviceUnavailable, type BaseContext, type Logger } from '@shop/shared';
import type { CategoryRow, ProductRow, ProductStore } from './data/productStore';

/** What the product subgraph asks the inventory stub: live stock levels only. */
export type AvailabilitySource = Pick<InventoryClient, 'availability'>;

/** The one context every product resolver gets: the viewer plus the store and per-request loaders. */
export interface Context extends BaseContext {
  store: ProductStore;
  loaders: {
    /**
     * Products by id, batched: every `product(id)` and `_entities` reference in one request
     * share one SQL query. Null for ids that name no product.
     */
    productById: DataLoader<string, ProductRow | null>;
    /**
     * Units free to reserve per product id, batched: every product of a page (or of a cart the
     * gateway resolves) shares ONE GetAvailability call to the inventory stub.
     */
    availabilityById: DataLoader<string, number>;
    /** Categories by id, batched: a page of products costs one category query. */
    categoryById: DataLoader<number, CategoryRow | null>;
  };
}

/** Per request: fresh loaders, so batching and caching never cross requests. */
export function createContext(
  base: BaseContext,
  deps: { store: ProductStore; inventory: AvailabilitySource },
): Context {
  return {
    ...base,
    store: deps.store,
    loaders: {
      productById: createProductLoader(deps.store),
      availabilityById: createAvailabilityLoader(deps.inventory, base.logger),
      categoryById: new DataLoader(async (ids) => {
        const found = await deps.store.findCategories(ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
    },
  };
}

/**
 * Every id asked for in the same tick, from `product(id)` or from the gateway's `_entities`
 * call for a cart of fifty items, becomes one `findByIds` call, i.e. one SQL query.
 */
function createProductLoader(store: ProductStore): Context['loaders']['productById'] {
  return new DataLoader(async (ids) => {
    const found = await store.findByIds(ids);
    return ids.map((id) => found.get(id) ?? null);
  });
}

/**
 * Every `availability` of the request's products becomes one GetAvailability call, however
 * many products the page or the cart holds. An unreachable inventory fails every product of the
 * batch alike with SERVICE_UNAVAILABLE naming inventory; a request that never asks for
 * availability never calls it, so it is unaffected.
 */
export function createAvailabilityLoader(
  inventory: AvailabilitySource,
  logger: Logger,
): Context['loaders']['availabilityById'] {
  return new DataLoader(async (ids) => {
    try {
      const available = await inventory.availability(ids);
      return ids.map((id) => available.get(id) ?? 0);
    } catch (err) {
      if (!(err instanceof DependencyUnavailableError)) throw err;
      logger.warn({ err }, 'inventory unavailable; availability not served');
      throw serviceUnavailable(
        'Stock levels are unavailable right now (the inventory service does not answer); try again shortly, or leave out `availability`.',
      );
    }
  });
}
