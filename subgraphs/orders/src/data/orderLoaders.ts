import DataLoader from 'dataloader';
import { isUuid } from './orderCursor';
import type { OrderStore } from './orderStore';
import type { Context } from '../types/context';

/**
 * Fresh loaders per request: batching collapses the N lookups of one query into one SQL query,
 * and nothing cached outlives the request (so no user ever sees another request's rows).
 * Ids that are not UUIDs resolve to null without reaching PostgreSQL, which would reject the
 * whole batch over one bad id.
 */
export function createOrderLoaders(store: OrderStore): Context['loaders'] {
  return {
    itemsByOrderId: new DataLoader(async (orderIds) => {
      const items = await store.itemsOfOrders(orderIds);
      return orderIds.map((id) => items.filter((item) => item.orderId === id));
    }),
    orderByCheckoutId: new DataLoader(async (checkoutIds) => {
      const orders = await store.findByCheckoutIds(checkoutIds.filter(isUuid));
      const byCheckout = new Map(orders.map((o) => [o.checkoutId, o]));
      return checkoutIds.map((id) => byCheckout.get(id.toLowerCase()) ?? null);
    }),
    orderById: new DataLoader(async (ids) => {
      const orders = await store.findByIds(ids.filter(isUuid));
      const byId = new Map(orders.map((o) => [o.id, o]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),
  };
}
