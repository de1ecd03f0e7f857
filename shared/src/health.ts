import { Router } from 'express';

/** A dependency a service needs to do its work; it throws (or rejects) when not usable. */
export type ReadinessCheck = () => Promise<unknown>;

/**
 * `/health/live` answers while the process can serve at all; `/health/ready` runs every
 * dependency check (bounded by `timeoutMs`) and answers 503 with the failing names, so a load
 * balancer stops routing to an instance whose database is gone. `draining()` turns ready off
 * during shutdown before connections close.
 */
export function healthRouter(
  checks: Record<string, ReadinessCheck>,
  options: { timeoutMs?: number; draining?: () => boolean } = {},
): Router {
  const timeoutMs = options.timeoutMs ?? 2000;
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    if (options.draining?.()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs, `${name} did not answer within ${timeoutMs} ms`);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, err instanceof Error ? err.message : String(err)] as const;
        }
      }),
    );
    const failing = results.filter(([, r]) => r !== 'ok');
    res
      .status(failing.length ? 503 : 200)
      .json({ status: failing.length ? 'unavailable' : 'ok', checks: Object.fromEntries(results) });
  });
  return router;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
