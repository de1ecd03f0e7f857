import type DataLoader from 'dataloader';
import type { BaseContext } from '@shop/shared';
import type { ProductRow, ProductStore } from '../data/productStore';

/** The one context every product resolver gets: the viewer plus the store and per-request loaders. */
export interface ProductContext extends BaseContext {
  store: ProductStore;
  loaders: {
    /**
     * Products by id, batched: every `product(id)` and `_entities` reference in one request
     * share one SQL query. Null for ids that name no product.
     */
    productById: DataLoader<string, ProductRow | null>;
  };
}
