import { badUserInput, notFound, requireViewer } from '@shop/shared';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { decodeOrderCursor, encodeOrderCursor, isUuid } from '../domain/orderCursor';
import { canReadOrder } from '../domain/orderAccess';

const MAX_PAGE = 100;

export const Query: QueryResolvers = {
  orders: async (_parent, { first, after }, { viewer, store }) => {
    const { userId } = requireViewer(viewer);
    const size = first ?? 20;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
      throw badUserInput(`\`first\` must be between 1 and ${MAX_PAGE}; got ${size}.`, {
        argumentName: 'first',
      });
    }
    const cursor = after == null ? undefined : decodeOrderCursor(after);
    // One extra row tells whether another page follows without a COUNT.
    const rows = await store.listForUser(userId, size + 1, cursor);
    const page = rows.slice(0, size);
    const edges = page.map((order) => ({ cursor: encodeOrderCursor(order), node: order }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    };
  },

  order: async (_parent, { id, version }, { viewer, loaders, store }) => {
    const v = requireViewer(viewer);
    if (!isUuid(id)) {
      throw badUserInput('`id` is not an order id (order ids are UUIDs).', { argumentName: 'id' });
    }
    if (version != null && (!Number.isInteger(version) || version < 1)) {
      throw badUserInput(`\`version\` starts at 1; got ${version}.`, { argumentName: 'version' });
    }
    const order =
      version == null ? await loaders.orderById.load(id) : await store.findAtVersion(id, version);
    // Someone else's order gets the same answer as a missing one: ids must not reveal orders.
    if (!order || !canReadOrder(v, order)) {
      throw notFound(
        version == null
          ? `No order ${id} for you.`
          : `No version ${version} of order ${id} for you.`,
      );
    }
    return order;
  },
};
