import { badUserInput, conflict, notFound, requireScope } from '@shop/shared';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { isUuid } from '../domain/orderCursor';
import { ADMIN_SCOPE } from '../domain/orderAccess';

export const Mutation: MutationResolvers = {
  updateOrderStatus: async (_parent, { id, status }, { viewer, store, logger }) => {
    const admin = requireScope(viewer, ADMIN_SCOPE);
    if (!isUuid(id)) {
      throw badUserInput('`id` is not an order id (order ids are UUIDs).', { argumentName: 'id' });
    }
    const result = await store.changeStatus(id, status);
    switch (result.kind) {
      case 'changed':
        logger.info(
          { orderId: id, from: result.previousStatus, to: status, by: admin.userId },
          'order status changed',
        );
        return result.order;
      case 'not_found':
        throw notFound(`No order ${id}.`);
      case 'illegal':
        throw badUserInput(result.reason, { argumentName: 'status' });
      case 'conflict':
        throw conflict(
          `Order ${id} kept changing while this update was applied; read it again and retry.`,
        );
    }
  },
};
