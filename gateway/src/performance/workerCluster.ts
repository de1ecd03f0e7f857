import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '@shop/shared';

/**
 * One gateway process per core behind one port (GATEWAY_WORKERS): node:cluster's primary forks
 * the workers, each a whole gateway (its own event loop, caches and order-events consumer
 * group, so every subscriber still hears each change once), and the kernel's connections are
 * shared between them. The primary serves nothing itself; it keeps the workers running, merges
 * their metrics and stops them gracefully.
 *
 * Written on node:cluster rather than run under a process manager (pm2 and the like) so the
 * gateway stays the one process that `npm start`, the image and the Helm chart start; the
 * metrics are merged by prom-client's own AggregatorRegistry.
 */

const METRICS_REQUEST = 'shop:cluster-metrics-request';
const METRICS_RESPONSE = 'shop:cluster-metrics-response';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
interface MetricsResponse {
  type: typeof METRICS_RESPONSE;
  id: number;
  body?: string;
  error?: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && 'type' in message
    ? (message as { type: unknown }).type === type
    : false;
}

/** A worker that lived this long before it exited resets the restart backoff. */
const HEALTHY_LIFETIME_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Runs in the primary: forks `workers` gateways, starts another when one exits unexpectedly
 * (after a delay that doubles while they keep dying young), answers the workers' requests for
 * the whole cluster's metrics, and on SIGTERM or SIGINT stops every worker with SIGTERM (each
 * drains as a single gateway does), then exits 0, or 1 if a worker did not stop cleanly.
 */
export function runGatewayCluster(options: {
  workers: number;
  logger: Logger;
  /** After this, workers still running are killed. Above each worker's own 10 s shutdown. */
  shutdownTimeoutMs?: number;
}): void {
  const { logger } = options;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 15_000;
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let youngExits = 0;

  const answerMetrics = (worker: Worker, request: MetricsRequest) => {
    aggregator
      .clusterMetrics()
      .then((body) => worker.send({ type: METRICS_RESPONSE, id: request.id, body }))
      .catch((err: unknown) =>
        worker.send({ type: METRICS_RESPONSE, id: request.id, error: (err as Error).message }),
      );
  };

  const fork = () => {
    const worker = cluster.fork();
    const startedAt = Date.now();
    worker.on('message', (message: unknown) => {
      if (isMessage<MetricsRequest>(message, METRICS_REQUEST)) answerMetrics(worker, message);
    });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      youngExits = Date.now() - startedAt >= HEALTHY_LIFETIME_MS ? 0 : youngExits + 1;
      const restartInMs = Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** youngExits);
      logger.error(
        { pid: worker.process.pid, code, signal, restartInMs },
        'gateway worker exited; starting another',
      );
      setTimeout(() => {
        if (!stopping) fork();
      }, restartInMs);
    });
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping gateway workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const exits = workers.map(
      (w) =>
        new Promise<boolean>((resolve) => {
          if (w.isDead()) resolve(w.process.exitCode === 0);
          else w.once('exit', (code) => resolve(code === 0));
        }),
    );
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
    const force = setTimeout(() => {
      logger.error({ shutdownTimeoutMs }, 'gateway workers did not stop in time; killing them');
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, shutdownTimeoutMs);
    void Promise.all(exits).then((clean) => {
      clearTimeout(force);
      const ok = clean.every(Boolean);
      logger.info({ workers: workers.length, clean: ok }, 'gateway workers stopped');
      process.exit(ok ? 0 : 1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  logger.info({ workers: options.workers }, 'starting gateway workers');
  for (let i = 0; i < options.workers; i++) fork();
}

/**
 * Runs in a worker: what its /metrics answers. Any worker may get the scrape, so it asks the
 * primary, which collects every worker's registry (prom-client's reply to that is registered
 * by constructing an AggregatorRegistry here) and merges them: counters summed, so a request
 * counts once whichever worker served it.
 */
export function clusterMetricsSource(timeoutMs = 10_000): () => Promise<string> {
  new AggregatorRegistry();
  let nextId = 0;
  const pending = new Map<number, (response: MetricsResponse) => void>();
  process.on('message', (message: unknown) => {
    if (isMessage<MetricsResponse>(message, METRICS_RESPONSE)) pending.get(message.id)?.(message);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the gateway cluster primary did not answer with metrics'));
      }, timeoutMs);
      pending.set(id, (response) => {
        clearTimeout(timer);
        pending.delete(id);
        if (response.body !== undefined) resolve(response.body);
        else reject(new Error(response.error ?? 'no metrics from the gateway cluster primary'));
      });
      process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
}
