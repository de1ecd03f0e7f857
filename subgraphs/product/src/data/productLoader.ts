import DataLoader from 'dataloader';
import type { AvailabilityClient } from '@shop/internal-grpc';
import type { ProductRow, ProductStore } from './productStore';

/**
 * One loader per request (so nothing is cached across requests or viewers): every id asked for
 * in the same tick, from `product(id)` or from the gateway's `_entities` call for a cart of
 * fifty items, becomes one `findByIds` call, i.e. one SQL query.
 */
export function createProductLoader(store: ProductStore): DataLoader<string, ProductRow | null> {
  return new DataLoader(async (ids) => {
    const found = await store.findByIds(ids);
    return ids.map((id) => found.get(id) ?? null);
  });
}

/**
 * One loader per request: every `availability` of the request's products becomes one
 * GetAvailability call, however many products the page or the cart holds. A failed call fails
 * every product's availability of the request alike (the resolver turns it into
 * SERVICE_UNAVAILABLE on that field only).
 */
export function createAvailabilityLoader(
  inventory: AvailabilityClient,
): DataLoader<string, number> {
  return new DataLoader(async (ids) => {
    const available = await inventory.availability(ids);
    return ids.map((id) => available.get(id) ?? 0);
  });
}
