import type { AvailabilityClient } from '@shop/internal-grpc';
import type { BaseContext } from '@shop/shared';
import { createAvailabilityLoader, createProductLoader } from './data/productLoader';
import type { ProductStore } from './data/productStore';
import type { ProductContext } from './types/context';

/** Per request: fresh loaders, so batching and caching never cross requests. */
export function createProductContext(
  base: BaseContext,
  store: ProductStore,
  inventory: AvailabilityClient,
): ProductContext {
  return {
    ...base,
    store,
    loaders: {
      productById: createProductLoader(store),
      availabilityById: createAvailabilityLoader(inventory),
    },
  };
}
