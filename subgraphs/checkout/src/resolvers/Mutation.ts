import { requireViewer } from '@shop/shared';
import type { MutationResolvers } from '../__generated__/resolvers-types';

export const Mutation: MutationResolvers = {
  checkout: (_parent, { input }, { viewer, checkout }) =>
    checkout.checkout(requireViewer(viewer).userId, input),
};
