import DataLoader from 'dataloader';
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
