import DataLoader from 'dataloader';
import type { BaseContext } from '@shop/shared';
import type { CartRepository } from './data/cartRepository';
import type { CatalogProduct, ProductCatalog } from './data/productCatalog';

/** The one context every cart resolver gets; `loaders` are new for every request. */
export interface Context extends BaseContext {
  carts: CartRepository;
  loaders: {
    /** Catalog products by id; null for ids the catalog does not sell. */
    productById: ProductLoader;
  };
}

/**
 * One loader per request: every product a request needs (validation, each line's price, the
 * subtotal) is fetched in one GetProducts call, whatever the number of lines.
 */
export type ProductLoader = DataLoader<string, CatalogProduct | null>;

export function createProductLoader(catalog: ProductCatalog): ProductLoader {
  return new DataLoader(async (ids) => {
    const found = await catalog.getProducts(ids);
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Per request: fresh loaders, so batching and caching never cross requests. */
export function createContext(
  base: BaseContext,
  deps: { carts: CartRepository; catalog: ProductCatalog },
): Context {
  return {
    ...base,
    carts: deps.carts,
    loaders: { productById: createProductLoader(deps.catalog) },
  };
}
