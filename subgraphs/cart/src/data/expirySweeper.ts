import type { Logger } from 'pino';
import { CART_RETENTION_MS, GUEST_CART_RETENTION_MS } from '../domain/cart';
import type { CartStore } from './cartStore';

/**
 * Deletes signed-in carts untouched for 90 days (where the server has no TTL index, FerretDB;
 * elsewhere it finds nothing left to delete) and guest carts untouched for
 * GUEST_CART_RETENTION_MS. Reads already treat such carts as empty (a guest's as an unknown
 * token); this reclaims the storage. Every instance may run it: deleting what is already
 * deleted is harmless.
 */
export function startExpirySweeper(options: {
  store: CartStore;
  logger: Logger;
  intervalMs: number;
  guestRetentionMs?: number;
  now?: () => Date;
}): { sweep: () => Promise<number>; stop: () => void } {
  const now = options.now ?? (() => new Date());
  const sweep = async () => {
    const at = now().getTime();
    const guestRetention = options.guestRetentionMs ?? GUEST_CART_RETENTION_MS;
    const deleted =
      (await options.store.deleteUpdatedBefore(new Date(at - CART_RETENTION_MS), 'user')) +
      (await options.store.deleteUpdatedBefore(new Date(at - guestRetention), 'guest'));
    if (deleted > 0) options.logger.info({ deleted }, 'deleted expired cart versions');
    return deleted;
  };
  const run = () =>
    void sweep().catch((err: unknown) =>
      options.logger.warn({ err }, 'expired-cart sweep failed; will retry'),
    );
  const timer = options.intervalMs > 0 ? setInterval(run, options.intervalMs) : undefined;
  timer?.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
