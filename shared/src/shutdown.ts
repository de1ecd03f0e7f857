import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  close: () => Promise<unknown> | unknown;
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: the steps run in order (stop taking work first, then
 * finish in-flight work, then close connections), and if they have not finished within
 * `timeoutMs` (10 s by default, what orchestrators allow before SIGKILL) the process exits
 * anyway with status 1, so a stuck connection can never keep a deploy waiting.
 * Returns the function that runs the same sequence, for tests and embedders.
 */
export function installShutdown(
  logger: Logger,
  steps: ShutdownStep[],
  options: { timeoutMs?: number; exit?: boolean } = {},
): () => Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let running: Promise<void> | undefined;
  const shutdown = () => {
    running ??= (async () => {
      logger.info('shutting down');
      const force = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown took too long; exiting');
        process.exit(1);
      }, timeoutMs);
      force.unref();
      for (const step of steps) {
        try {
          await step.close();
        } catch (err) {
          logger.warn({ err, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(force);
      logger.info('stopped');
    })();
    return running;
  };
  if (options.exit !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void shutdown().then(() => process.exit(0));
      });
    }
  }
  return shutdown;
}
