import DataLoader from 'dataloader';
import type { BaseContext } from '@shop/shared';
import { isUuid } from './domain/orderCursor';
import type { CancellationStore } from './data/cancellationStore';
import type { OrderItemRow, OrderRow, OrderStore } from './data/orderStore';

/** The one context every orders resolver gets: the verified viewer plus per-request loaders. */
export interface Context extends BaseContext {
  store: OrderStore;
  /** The cancellation saga's first, transactional step. */
  cancellations: CancellationStore;
  loaders: {
    /** An order's items in checkout order; one query per request for all orders in it. */
    itemsByOrderId: DataLoader<string, OrderItemRow[]>;
    /** The order of a checkout, whoever owns it (callers check ownership); batched. */
    orderByCheckoutId: DataLoader<string, OrderRow | null>;
    /** Orders by id, for `_entities` (the gateway may ask for many at once); batched. */
    orderById: DataLoader<string, OrderRow | null>;
  };
}

/** Per request: fresh loaders, so batching and caching never cross requests. */
export function createContext(
  base: BaseContext,
  deps: { store: OrderStore; cancellations: CancellationStore },
): Context {
  return {
    ...base,
    store: deps.store,
    cancellations: deps.cancellations,
    loaders: createLoaders(deps.store),
  };
}

/**
 * Fresh loaders per request: batching collapses the N lookups of one query into one SQL query,
 * and nothing cached outlives the request (so no user ever sees another request's rows).
 * Ids that are not UUIDs resolve to null without reaching PostgreSQL, which would reject the
 * whole batch over one bad id.
 */
function createLoaders(store: OrderStore): Context['loaders'] {
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
