import { DEFAULT_CURRENCY, money } from '@shop/shared';
import type { CartResolvers } from '../__generated__/resolvers-types';
import { totalQuantity } from '../domain/cart';
import { linePrices } from '../domain/pricing';

export const Cart: CartResolvers = {
  id: (cart) => cart.userId,
  items: (cart) => cart.lines.map((line) => ({ line, cart })),
  totalQuantity: (cart) => totalQuantity(cart),
  subtotal: async (cart, _args, { loaders }) => {
    const prices = await linePrices(cart, loaders.productById);
    if (prices.length === 0) return money(0, DEFAULT_CURRENCY);
    const currencies = new Set(prices.map((p) => p.currencyCode));
    if (currencies.size > 1) {
      // The catalog prices everything in one currency; mixing them is a data error, not a sum.
      throw new Error(`cart ${cart.userId} mixes currencies: ${[...currencies].join(', ')}`);
    }
    return money(
      prices.reduce((sum, p) => sum + p.lineCents, 0),
      prices[0]?.currencyCode ?? DEFAULT_CURRENCY,
    );
  },
  updatedAt: (cart) => cart.updatedAt,
};
