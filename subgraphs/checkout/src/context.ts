import DataLoader from 'dataloader';
import type { BaseContext } from '@shop/shared';
import type { SessionRecord, SessionStore } from './data/sessionStore';
import type { CheckoutCommand } from './domain/checkoutCommand';

/** The one context every checkout resolver gets. */
export interface Context extends BaseContext {
  checkout: CheckoutCommand;
  loaders: {
    /** Per request: every session the request looks up by id, in one query. */
    sessionById: DataLoader<string, SessionRecord | null>;
  };
}

/** Per request: fresh loaders, so batching and caching never cross requests. */
export function createContext(
  base: BaseContext,
  deps: { checkout: CheckoutCommand; store: SessionStore },
): Context {
  return { ...base, checkout: deps.checkout, loaders: createLoaders(deps.store) };
}

function createLoaders(store: SessionStore): Context['loaders'] {
  return {
    sessionById: new DataLoader(async (ids) => {
      const rows = await store.findByIds(ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
