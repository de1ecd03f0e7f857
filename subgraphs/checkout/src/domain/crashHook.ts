import type { Logger } from 'pino';
import type { CrashPoint } from '../config';

export type CrashHook = (point: CrashPoint) => void;

/**
 * TEST ONLY (CHECKOUT_CRASH_AT, refused by config unless NODE_ENV=test): kills this process
 * with SIGKILL at the named point of the saga, which no handler, `finally` or shutdown hook
 * survives: the closest a test gets to pulling the plug. Recovery tests start a fresh process
 * afterwards and check that nothing is stranded, charged twice or lost.
 */
export function createCrashHook(crashAt: CrashPoint | undefined, logger: Logger): CrashHook {
  if (crashAt === undefined) return () => undefined;
  return (point) => {
    if (point !== crashAt) return;
    logger.warn({ point }, 'CHECKOUT_CRASH_AT reached: killing this process (test only)');
    logger.flush?.();
    process.kill(process.pid, 'SIGKILL');
  };
}
