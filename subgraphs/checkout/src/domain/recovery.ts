import type { Logger } from 'pino';
import { isStoreUnavailable } from '../data/outages';
import type { SessionStore } from '../data/sessionStore';
import type { Saga } from './orchestrator';
import { sagaMetrics } from '../metrics';

export interface RecoveryLoop {
  /** One pass: claims every unfinished session whose lease ran out and drives it. For tests. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Finishes what crashed processes left behind: at start and every `intervalMs`, takes over the
 * unfinished sessions whose lease ran out (their owner stopped renewing it, i.e. died) and
 * drives them on with `recovering: true`, so each step re-asks the stubs what already happened
 * instead of trusting the last recorded state. Several processes may run it at once: claims
 * use SKIP LOCKED and a lease, so each session has one driver.
 */
export function startRecoveryLoop(options: {
  store: SessionStore;
  saga: Saga;
  intervalMs: number;
  logger: Logger;
  batchSize?: number;
}): RecoveryLoop {
  const { store, saga, logger } = options;
  const batchSize = options.batchSize ?? 20;
  const log = logger.child({ component: 'recovery' });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function pass(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await store.claimStale(batchSize);
      if (claimed.length === 0) return total;
      total += claimed.length;
      await Promise.all(
        claimed.map(async (session) => {
          sagaMetrics.recovered.inc({ status: session.status });
          log.info({ checkoutId: session.id, status: session.status }, 'recovering checkout');
          try {
            const after = await saga.drive(session, { recovering: true });
            log.info({ checkoutId: session.id, status: after.status }, 'checkout recovered');
          } catch (err) {
            // The lease runs out again and a later pass retries. drive() logged the outage.
            if (!isStoreUnavailable(err)) {
              log.error({ err, checkoutId: session.id }, 'recovery of a checkout failed');
            }
          }
        }),
      );
      if (claimed.length < batchSize || stopped) return total;
    }
  }

  function runOnce(): Promise<number> {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  const passFailed = (err: unknown) =>
    isStoreUnavailable(err)
      ? log.warn({ err }, 'recovery pass waits for the checkout database; will retry')
      : log.error({ err }, 'recovery pass failed; will retry');

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce().catch(passFailed).finally(schedule);
    }, options.intervalMs);
  };
  // First pass at once: a restart after a crash should not wait an interval to clean up.
  runOnce().catch(passFailed).finally(schedule);

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
