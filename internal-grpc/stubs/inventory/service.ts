import { createLogger, type Logger } from '@shop/shared';
import { protos } from '../../src/protos';
import { listenStub } from '../runtime/listen';
import type { InventoryConfig } from './config';
import { createInventoryHandlers } from './grpcHandlers';
import { createInventoryMetrics, type InventoryMetrics } from './inventoryMetrics';
import { StockLedger } from './stockLedger';

export interface InventoryServer {
  /** host:port for clients, e.g. INVENTORY_GRPC_URL. */
  address: string;
  port: number;
  /** The in-memory state, for in-process tests that want to look without a client. */
  ledger: StockLedger;
  metrics: InventoryMetrics;
  /** Base URL of /health and /metrics when HTTP_PORT is set. */
  httpUrl: string | undefined;
  /** Stops the sweep, lets in-flight calls finish, closes the ports. */
  stop: () => Promise<void>;
}

/** Starts the inventory stub in this process; `GRPC_PORT=0` binds a free port. */
export async function createInventoryServer(
  config: InventoryConfig,
  options: { logger?: Logger; now?: () => number } = {},
): Promise<InventoryServer> {
  const logger = options.logger ?? createLogger('inventory', config.logLevel);
  const metrics = createInventoryMetrics(() => ledger.activeCount);
  const ledger = new StockLedger(config.seed, {
    ttlMs: config.reservationTtlMs,
    now: options.now,
    onFinished: (reservation) => {
      metrics.transitions.inc({ status: reservation.status });
      if (reservation.status === 'EXPIRED') {
        const { id: reservationId, checkoutId } = reservation;
        logger.info({ reservationId, checkoutId }, 'reservation expired; stock given back');
      }
    },
  });
  const handlers = createInventoryHandlers(ledger, { logger, metrics });
  const listeners = await listenStub({
    register: (server) => server.addService(protos.inventory().Inventory.service, handlers),
    config,
    registry: metrics.registry,
    logger,
  });
  // Every call expires what is due before it looks at stock; the sweep makes expiry happen on
  // time even when no call comes, so metrics and logs show it when it happens.
  const sweep = setInterval(() => ledger.expireDue(), config.reservationSweepIntervalMs);
  sweep.unref();

  const { address } = listeners;
  logger.info(
    {
      address,
      products: config.seed.size,
      reservationTtlMs: config.reservationTtlMs,
    },
    'inventory gRPC listening',
  );
  return {
    address,
    port: listeners.port,
    ledger,
    metrics,
    httpUrl: listeners.httpUrl,
    stop: async () => {
      clearInterval(sweep);
      await listeners.stop();
    },
  };
}
