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
    /**
     * Units free to reserve per product id, batched: every product of a page (or of a cart the
     * gateway resolves) shares ONE GetAvailability call to the inventory stub.
     */
    availabilityById: DataLoader<string, number>;
  };
}
