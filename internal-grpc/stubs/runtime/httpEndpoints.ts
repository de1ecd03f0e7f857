import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { healthRouter, type Logger } from '@shop/shared';

export interface StubHttp {
  url: string;
  /** Turns /health/ready to 503 so a balancer stops routing before the gRPC server closes. */
  drain: () => void;
  stop: () => Promise<void>;
}

/**
 * The stubs speak gRPC only; this optional side port gives orchestrators and Prometheus the same
 * /health and /metrics every subgraph has. Each stub has its own registry (not prom-client's
 * global one) so tests can run several stubs in one process without duplicate metric names.
 */
export async function startStubHttp(options: {
  host: string;
  port: number;
  registry: Registry;
  logger: Logger;
}): Promise<StubHttp> {
  collectDefaultMetrics({ register: options.registry });
  let draining = false;
  const app = express();
  // Nothing to check beyond the process itself: the stubs keep everything in memory.
  app.use(healthRouter({}, { draining: () => draining }));
  app.get('/metrics', async (_req, res) => {
    res.type(options.registry.contentType).send(await options.registry.metrics());
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  options.logger.info({ url }, 'health and metrics listening');
  return {
    url,
    drain: () => {
      draining = true;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
