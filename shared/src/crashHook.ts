import type { Logger } from 'pino';

/**
 * TEST ONLY (a `<SERVICE>_CRASH_AT` variable that the service's config refuses unless
 * NODE_ENV=test): kills this process with SIGKILL at the named point, which no handler,
 * `finally` or shutdown hook survives: the closest a test gets to pulling the plug. Recovery
 * tests start a fresh process afterwards and check that nothing is stranded or done twice.
 */
export function createCrashHook<Point extends string>(
  crashAt: Point | undefined,
  variable: string,
  logger: Logger,
): (point: Point) => void {
  if (crashAt === undefined) return () => undefined;
  return (point) => {
    if (point !== crashAt) return;
    logger.warn({ point }, `${variable} reached: killing this process (test only)`);
    logger.flush?.();
    process.kill(process.pid, 'SIGKILL');
  };
}
