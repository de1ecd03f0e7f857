import type { Logger } from 'pino';
import { CART_RETENTION_MS } from '../domain/cart';
import type { CartStore } from './cartStore';

/**
 * Deletes carts untouched for 90 days where the server has no TTL index (FerretDB). Reads
 * already treat such carts as empty; this reclaims the storage. Every instance may run it:
 * deleting what is already deleted is harmless.
 */
export function startExpirySweeper(options: {
  store: CartStore;
  logger: Logger;
  intervalMs: number;
  now?: () => Date;
}): { sweep: () => Promise<number>; stop: () => void } {
  const now = options.now ?? (() => new Date());
  const sweep = async () => {
    const deleted = await options.store.deleteUpdatedBefore(
      new Date(now().getTime() - CART_RETENTION_MS),
    );
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
