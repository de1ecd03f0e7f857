import type { Logger } from 'pino';
import type { SessionStore } from '../data/sessionStore';

/**
 * Keeps this process's leases alive on the sessions it is driving, one batched UPDATE per
 * third of the lease, so a step may take longer than the lease (a slow payment) without
 * recovery in another process taking the session over. When this process dies, renewals
 * stop, the leases run out, and recovery takes over: that is how a crash is detected.
 */
export function createLeaseKeeper(store: SessionStore, leaseMs: number, logger: Logger) {
  const held = new Map<string, number>();
  const timer = setInterval(
    () => {
      store.renewLeases([...held.keys()]).catch((err: unknown) => {
        logger.warn({ err }, 'could not renew saga leases; recovery may take sessions over');
      });
    },
    Math.max(100, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return {
    /** Counted, so two drivers of one session in this process (a duplicate) both hold it. */
    hold(id: string): void {
      held.set(id, (held.get(id) ?? 0) + 1);
    },
    drop(id: string): void {
      const n = (held.get(id) ?? 1) - 1;
      if (n <= 0) held.delete(id);
      else held.set(id, n);
    },
    get size(): number {
      return held.size;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

export type LeaseKeeper = ReturnType<typeof createLeaseKeeper>;
