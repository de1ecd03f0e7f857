import { Router } from 'express';
import { collectDefaultMetrics, register } from 'prom-client';

let defaultsCollected = false;

/** `/metrics` in Prometheus text format from prom-client's global registry. */
export function metricsRouter(): Router {
  if (!defaultsCollected) {
    collectDefaultMetrics();
    defaultsCollected = true;
  }
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(register.contentType).send(await register.metrics());
  });
  return router;
}
