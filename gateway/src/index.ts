/**
 * The gateway process: `npx tsx gateway/src/index.ts` (PORT 4000 by default).
 * Configuration is validated first; a bad variable exits 78 naming it. With GATEWAY_WORKERS
 * above 1 it is the cluster's primary, and each worker runs this same file as a gateway.
 */
import cluster from 'node:cluster';
import { createLogger, installShutdown, loadConfigOrExit } from '@shop/shared';
import { loadGatewayConfig } from './config';
import { clusterMetricsSource, runGatewayCluster } from './performance/workerCluster';
import { createGateway } from './service';
import { gatewayAttachments } from './subscriptions';

async function main() {
  const config = loadConfigOrExit(() => loadGatewayConfig());
  const logger = createLogger('gateway', config.logLevel);
  // GATEWAY_WORKERS > 1: this process supervises that many gateways on the one port.
  if (config.workers > 1 && cluster.isPrimary) {
    runGatewayCluster({ workers: config.workers, logger });
    return;
  }
  const gateway = await createGateway(config, {
    logger,
    attachments: gatewayAttachments(config, logger),
    ...(cluster.isWorker ? { metrics: clusterMetricsSource() } : {}),
  });
  installShutdown(logger, [{ name: 'gateway', close: gateway.stop }]);
}

main().catch((err: unknown) => {
  createLogger('gateway').fatal({ err }, 'gateway failed to start');
  process.exit(1);
});
