import type { BaseContext } from '@shop/shared';
import type { CartRepository } from '../data/cartRepository';
import type { ProductLoader } from '../grpc/productCatalogClient';

/** The one context every cart resolver gets; `products` is new for every request. */
export interface CartContext extends BaseContext {
  carts: CartRepository;
  products: ProductLoader;
}
