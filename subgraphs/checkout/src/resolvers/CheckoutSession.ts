import { money, parseCents, requireViewer } from '@shop/shared';
import type { CheckoutSessionResolvers } from '../__generated__/resolvers-types';
import { pricedItems } from '../domain/sessionItems';
import { isCheckoutId } from './Query';

export const CheckoutSession: CheckoutSessionResolvers = {
  /**
   * How the gateway fetches a session another subgraph referenced. A reference to another
   * user's session resolves to null rather than an error: an error would fail every entity of
   * the batch, and the other subgraph (orders, whose own owner check already ran) never needs
   * to see someone else's checkout through this one.
   */
  __resolveReference: async ({ id }, { viewer, loaders }) => {
    const { userId } = requireViewer(viewer);
    if (!isCheckoutId(id)) return null;
    const session = await loaders.sessionById.load(id);
    return session && session.userId === userId ? session : null;
  },
  items: (session) => pricedItems(session),
  total: (session) => money(parseCents(session.totalAmount.toFixed(2)), session.currency),
  failureCode: (session) => session.failureCode,
  failureReason: (session) => session.failureReason,
};
