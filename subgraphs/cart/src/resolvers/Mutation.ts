import { badUserInput, requireViewer } from '@shop/shared';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { assertProductId, assertQuantity } from '../domain/cart';

export const Mutation: MutationResolvers = {
  addToCart: async (_parent, { productId, quantity }, { viewer, carts, loaders }) => {
    const { userId } = requireViewer(viewer);
    assertProductId(productId);
    assertQuantity(quantity);
    // Ask the catalog about this product and every product already in the cart in one call:
    // the returned cart's prices then come from the same per-request loader, so the request
    // costs one catalog lookup however many lines the cart has.
    const current = await carts.read(userId);
    const [product] = await loaders.productById.loadMany([
      productId,
      ...current.lines.map((l) => l.productId),
    ]);
    if (product instanceof Error) throw product;
    if (!product) {
      throw badUserInput(`Product ${productId} does not exist in the catalog.`, {
        rule: 'PRODUCT_EXISTS',
        productId,
      });
    }
    return carts.addItem(userId, productId, quantity);
  },

  updateCartItemQuantity: (_parent, { productId, quantity }, { viewer, carts }) => {
    const { userId } = requireViewer(viewer);
    assertProductId(productId);
    assertQuantity(quantity);
    return carts.setQuantity(userId, productId, quantity);
  },

  removeFromCart: (_parent, { productId }, { viewer, carts }) =>
    carts.removeItem(requireViewer(viewer).userId, productId),

  clearCart: (_parent, _args, { viewer, carts }) => carts.clear(requireViewer(viewer).userId),
};
