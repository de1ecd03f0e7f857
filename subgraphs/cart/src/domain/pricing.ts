import { notFound } from '@shop/shared';
import type { Cart } from './cart';
import type { ProductLoader } from '../context';

export interface LinePrice {
  productId: string;
  lineCents: number;
  currencyCode: string;
}

/**
 * Every line of the cart priced at the catalog's current price. Each caller (subtotal, each
 * line's total) asks the per-request loader for ALL of the cart's products, so whichever runs
 * first triggers the one GetProducts call and the rest are served from the loader's cache.
 */
export async function linePrices(cart: Cart, products: ProductLoader): Promise<LinePrice[]> {
  const found = await products.loadMany(cart.lines.map((l) => l.productId));
  return cart.lines.map((line, i) => {
    const product = found[i];
    if (product instanceof Error) throw product;
    if (!product) {
      throw notFound(
        `Product ${line.productId} in your cart is no longer in the catalog; remove it with removeFromCart.`,
      );
    }
    return {
      productId: line.productId,
      lineCents: product.priceCents * line.quantity,
      currencyCode: product.currencyCode,
    };
  });
}
