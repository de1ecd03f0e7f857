import type DataLoader from 'dataloader';
import type { BaseContext } from '@shop/shared';
import type { CancellationStore } from '../data/cancellationStore';
import type { OrderItemRow, OrderRow, OrderStore } from '../data/orderStore';

/** The one context every orders resolver gets: the verified viewer plus per-request loaders. */
export interface Context extends BaseContext {
  store: OrderStore;
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
