import { requireViewer } from '@shop/shared';
import type { QueryResolvers } from '../__generated__/resolvers-types';

export const Query: QueryResolvers = {
  // Always the caller's own cart: there is no argument that could name someone else's.
  cart: (_parent, _args, { viewer, carts }) => carts.read(requireViewer(viewer).userId),
};
