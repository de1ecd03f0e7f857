import type { QueryResolvers } from '../__generated__/resolvers-types';
import { cartOwner, unknownCartToken } from '../domain/guestToken';

export const Query: QueryResolvers = {
  // Always the caller's own cart (the JWT's, else X-Cart-Token's): no argument names a cart.
  cart: async (_parent, _args, { viewer, cartToken, carts }) => {
    const owner = cartOwner(viewer, cartToken);
    const cart = await carts.read(owner.key);
    // A live guest cart has been written at least once (createGuestCart); anything else is gone.
    if (owner.guest && cart.updatedAt === null) throw unknownCartToken();
    return cart;
  },
};
