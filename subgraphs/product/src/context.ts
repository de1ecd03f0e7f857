import type { BaseContext } from '@shop/shared';
import { createProductLoader } from './data/productLoader';
import type { ProductStore } from './data/productStore';
import type { ProductContext } from './types/context';

/** Per request: fresh loaders, so batching and caching never cross requests. */
export function createProductContext(base: BaseContext, store: ProductStore): ProductContext {
  return { ...base, store, loaders: { productById: createProductLoader(store) } };
}
