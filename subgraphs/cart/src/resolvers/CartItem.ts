import { money } from '@shop/shared';
import type { CartItemResolvers } from '../__generated__/resolvers-types';
import type { Cart, CartLine } from '../domain/cart';
import { linePrices } from '../domain/pricing';

/** A line plus its cart, so a line's price is looked up together with all the others. */
export interface CartItemParent {
  line: CartLine;
  cart: Cart;
}

export const CartItem: CartItemResolvers = {
  // A reference the gateway completes from the product subgraph.
  product: ({ line }) => ({ __typename: 'Product', id: line.productId }),
  quantity: ({ line }) => line.quantity,
  lineTotal: async ({ line, cart }, _args, { loaders }) => {
    const prices = await linePrices(cart, loaders.productById);
    const price = prices.find((p) => p.productId === line.productId);
    // linePrices throws for a missing product, so this is only a type guard.
    if (!price) throw new Error(`no price for product ${line.productId}`);
    return money(price.lineCents, price.currencyCode);
  },
  addedAt: ({ line }) => line.addedAt,
};
