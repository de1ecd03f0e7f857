import { requireViewer } from '@shop/shared';
import type { CheckoutSessionResolvers } from '../__generated__/resolvers-types';

export const CheckoutSession: CheckoutSessionResolvers = {
  // The checkout subgraph owns the session; this subgraph only needs its key to add `order`.
  __resolveReference: ({ id }) => ({ id }),
  /**
   * Null until the CheckoutCompleted event has become an order, and for another user's checkout
   * (the checkout subgraph already hides those; this is the second lock on the door).
   */
  order: async ({ id }, _args, { viewer, loaders }) => {
    const { userId } = requireViewer(viewer);
    const order = await loaders.orderByCheckoutId.load(id);
    return order && order.userId === userId ? order : null;
  },
};
