import {
  appError,
  badUserInput,
  conflict,
  notFound,
  requireScope,
  requireViewer,
} from '@shop/shared';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { CancellationStore } from '../data/cancellationStore';
import { isUuid } from '../domain/orderCursor';
import { ADMIN_SCOPE } from '../domain/orderAccess';

function requireOrderId(id: string): void {
  if (!isUuid(id)) {
    throw badUserInput('`id` is not an order id (order ids are UUIDs).', { argumentName: 'id' });
  }
}

/** Both mutations that cancel go through here, so they share every rule and guarantee. */
async function cancel(
  cancellations: CancellationStore,
  id: string,
  viewer: { userId: string; scopes: ReadonlySet<string> },
  reason: string | null,
) {
  const result = await cancellations.cancel(id, viewer, reason);
  switch (result.kind) {
    case 'cancelled':
      return result.order;
    case 'not_found':
      throw notFound(`No order ${id}.`);
    case 'refused':
      throw appError(result.decision.code, result.decision.message);
    case 'conflict':
      throw conflict(
        `Order ${id} kept changing while it was being cancelled; read it again and retry.`,
      );
  }
}

export const Mutation: MutationResolvers = {
  updateOrderStatus: async (_parent, { id, status }, { viewer, store, cancellations, logger }) => {
    const admin = requireScope(viewer, ADMIN_SCOPE);
    requireOrderId(id);
    if (status === 'CANCELLED') {
      const order = await cancel(cancellations, id, admin, null);
      logger.info({ orderId: id, by: admin.userId }, 'order cancelled by status change');
      return order;
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

  cancelOrder: async (_parent, { id, reason }, { viewer, cancellations, logger }) => {
    const v = requireViewer(viewer);
    requireOrderId(id);
    const trimmed = reason?.trim() || null;
    if (trimmed && trimmed.length > 500) {
      throw badUserInput('`reason` is at most 500 characters.', { argumentName: 'reason' });
    }
    const order = await cancel(cancellations, id, v, trimmed);
    logger.info({ orderId: id, by: v.userId }, 'order cancelled');
    return order;
  },
};
