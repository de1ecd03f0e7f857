import { badUserInput, requireViewer } from '@shop/shared';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { assertProductId, assertQuantity } from '../domain/cart';
import {
  cartOwner,
  guestOwnerKey,
  isGuestOwner,
  newCartToken,
  unknownCartToken,
} from '../domain/guestToken';

export const Mutation: MutationResolvers = {
  addToCart: async (_parent, { productId, quantity }, { viewer, cartToken, carts, loaders }) => {
    const owner = cartOwner(viewer, cartToken);
    assertProductId(productId);
    assertQuantity(quantity);
    // Ask the catalog about this product and every product already in the cart in one call:
    // the returned cart's prices then come from the same per-request loader, so the request
    // costs one catalog lookup however many lines the cart has.
    const current = await carts.read(owner.key);
    if (owner.guest && current.updatedAt === null) throw unknownCartToken();
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
    return carts.addItem(owner.key, productId, quantity);
  },

  updateCartItemQuantity: (_parent, { productId, quantity }, { viewer, cartToken, carts }) => {
    const owner = cartOwner(viewer, cartToken);
    assertProductId(productId);
    assertQuantity(quantity);
    return carts.setQuantity(owner.key, productId, quantity);
  },

  removeFromCart: (_parent, { productId }, { viewer, cartToken, carts }) =>
    carts.removeItem(cartOwner(viewer, cartToken).key, productId),

  clearCart: (_parent, _args, { viewer, cartToken, carts }) =>
    carts.clear(cartOwner(viewer, cartToken).key),

  createGuestCart: async (_parent, _args, { carts }) => {
    const cartToken = newCartToken();
    // guestOwnerKey accepts every token newCartToken makes.
    const cart = await carts.createGuest(guestOwnerKey(cartToken)!);
    return { cartToken, cart };
  },

  mergeGuestCart: async (_parent, { cartToken }, { viewer, carts, loaders }) => {
    // Signed in only: a merge moves lines into the JWT subject's cart.
    const { userId } = requireViewer(viewer);
    if (isGuestOwner(userId)) throw unknownCartToken();
    const guestOwner = guestOwnerKey(cartToken);
    if (!guestOwner) {
      throw badUserInput('cartToken is not a guest cart token (createGuestCart returns one).', {
        field: 'cartToken',
      });
    }
    return carts.mergeGuest(userId, guestOwner, async (productIds) => {
      const found = await loaders.productById.loadMany(productIds);
      const missing = new Set<string>();
      found.forEach((product, i) => {
        if (product instanceof Error) throw product;
        if (!product) missing.add(productIds[i]!);
      });
      return missing;
    });
  },
};
