import { Router } from 'express';

/** A dependency a service needs to do its work; it throws (or rejects) when not usable. */
export type ReadinessCheck = () => Promise<unknown>;

/**
 * How long one readiness check may take before it counts as failed: the same in every service,
 * so an operator reads every `/health/ready` the same way. Below a load balancer's usual 5 s
 * probe timeout, so a hanging dependency shows as its own name rather than a probe timeout.
 */
export const READINESS_TIMEOUT_MS = 2000;

/**
 * `/health/live` answers while the process can serve at all; `/health/ready` runs every
 * dependency check (bounded by `timeoutMs`) and answers 503 with the failing names, so a load
 * balancer stops routing to an instance whose database is gone. `draining()` turns ready off
 * during shutdown before connections close.
 *
 * `consumers` (Kafka consumers, by topic) are shown as `running` or `not running` beside the
 * checks but never fail readiness: the HTTP API does not need them, every replica shares the
 * same Kafka, and their supervisor keeps restarting them, so taking the instance out of rotation
 * would only stop the API as well.
 */
export function healthRouter(
  checks: Record<string, ReadinessCheck>,
  options: {
    timeoutMs?: number;
    draining?: () => boolean;
    consumers?: Record<string, () => boolean>;
  } = {},
): Router {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  const consumers = Object.entries(options.consumers ?? {});
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
    res.status(failing.length ? 503 : 200).json({
      status: failing.length ? 'unavailable' : 'ok',
      checks: Object.fromEntries(results),
      ...(consumers.length > 0
        ? {
            consumers: Object.fromEntries(
              consumers.map(([name, isRunning]) => [name, isRunning() ? 'running' : 'not running']),
            ),
          }
        : {}),
    });
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
