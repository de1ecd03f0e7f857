import { badUserInput, forbidden, requireViewer } from '@shop/shared';
import type { QueryResolvers } from '../__generated__/resolvers-types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isCheckoutId(id: string): boolean {
  return UUID.test(id);
}

export const Query: QueryResolvers = {
  checkoutSession: async (_parent, { id }, { viewer, loaders }) => {
    const { userId } = requireViewer(viewer);
    if (!isCheckoutId(id)) throw badUserInput(`"${id}" is not a checkout id (a UUID).`);
    const session = await loaders.sessionById.load(id);
    if (!session) return null;
    if (session.userId !== userId) throw forbidden('This checkout belongs to another user.');
    return session;
  },
};
