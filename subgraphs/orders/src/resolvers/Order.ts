import { requireViewer } from '@shop/shared';
import type { OrderResolvers } from '../__generated__/resolvers-types';
import { canReadOrder } from '../domain/orderAccess';
import { moneyFromCents } from '../domain/orderMoney';

export const Order: OrderResolvers = {
  /**
   * The gateway resolves `Order` entities here (the order-status subscription will, with the
   * subscriber's forwarded token). Ownership is enforced again: an order that is not the
   * viewer's resolves to null, like one that does not exist.
   */
  __resolveReference: async ({ id }, { viewer, loaders }) => {
    const v = requireViewer(viewer);
    const order = await loaders.orderById.load(id);
    return order && canReadOrder(v, order) ? order : null;
  },
  total: (order) => moneyFromCents(order.totalCents, order.currency),
  // Items are priced in their order's currency; it travels with them to OrderItem's resolvers.
  refund: (order) => {
    if (!order.refundStatus || order.refundAmountCents === null || !order.refundRequestedAt) {
      return null; // not cancelled, or cancelled before refunds existed
    }
    return {
      status: order.refundStatus,
      amount: moneyFromCents(order.refundAmountCents, order.currency),
      requestedAt: order.refundRequestedAt,
      refundedAt: order.refundRefundedAt,
      failureReason: order.refundFailureReason,
    };
  },
  items: async (order, _args, { loaders }) =>
    (await loaders.itemsByOrderId.load(order.id)).map((item) => ({
      ...item,
      currency: order.currency,
    })),
};
