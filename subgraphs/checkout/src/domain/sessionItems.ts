import type { PricedItem, SessionRecord, SnapshotItem } from '../data/sessionStore';

/** The lines a session bought, as priced when it began (its `cart_snapshot` column). */
export function snapshotItems(session: Pick<SessionRecord, 'cartSnapshot'>): SnapshotItem[] {
  return session.cartSnapshot as unknown as SnapshotItem[];
}

export function pricedItems(session: SessionRecord): PricedItem[] {
  return snapshotItems(session).map((item) => ({ ...item, currency: session.currency }));
}
