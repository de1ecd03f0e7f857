import { Router } from 'express';
import { collectDefaultMetrics, Histogram, register } from 'prom-client';

let defaultsCollected = false;

/**
 * `/metrics` in Prometheus text format: prom-client's global registry, or `source` when the
 * process is one of several whose metrics are merged elsewhere (the gateway's cluster workers).
 */
export function metricsRouter(source?: () => Promise<string>): Router {
  if (!defaultsCollected) {
    collectDefaultMetrics();
    defaultsCollected = true;
  }
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(register.contentType).send(await (source ? source() : register.metrics()));
  });
  return router;
}

/**
 * Naming: Prometheus conventions with OpenTelemetry's semantic names where one exists, base
 * units in the name (`_seconds`, `_rows`), `_total` on counters, snake_case labels. One set of
 * buckets for every request-like duration so panels can compare them.
 */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The histogram of an existing name, or a new one: modules may be loaded twice under Jest. */
function histogram(name: string, help: string, labelNames: string[]): Histogram {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Histogram;
  return new Histogram({ name, help, labelNames, buckets: DURATION_BUCKETS });
}

/** gRPC calls as the caller sees them (OTel `rpc.client.duration`), one per attempt outcome. */
export const rpcClientDuration = histogram(
  'rpc_client_duration_seconds',
  'Duration of outbound gRPC calls',
  ['rpc_service', 'rpc_method', 'rpc_grpc_status_code'],
);

/** gRPC calls as the server sees them (OTel `rpc.server.duration`). */
export const rpcServerDuration = histogram(
  'rpc_server_duration_seconds',
  'Duration of inbound gRPC calls',
  ['rpc_service', 'rpc_method', 'rpc_grpc_status_code'],
);
