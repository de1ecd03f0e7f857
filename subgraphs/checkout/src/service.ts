import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import {
  createCartClient,
  createInventoryClient,
  createPaymentClient,
  createProductCatalogClient,
} from '@shop/internal-grpc';
import {
  createKafka,
  createLogger,
  createTokenVerifier,
  runMigrations,
  startOutboxRelay,
  startSubgraphServer,
  type OutboxRelay,
} from '@shop/shared';
import type { CheckoutConfig } from './config';
import { createCheckoutDatabase } from './data/prismaClient';
import { createSessionStore, type SessionStore } from './data/sessionStore';
import { resolvers } from './resolvers';
import { createCheckoutCommand } from './domain/checkoutCommand';
import { createCrashHook } from './domain/crashHook';
import { createLeaseKeeper } from './domain/leaseKeeper';
import { createSaga } from './domain/orchestrator';
import { startRecoveryLoop, type RecoveryLoop } from './domain/recovery';
import { createContext, type Context } from './context';
import { MIGRATIONS_DIR } from './data/migrations';

export { MIGRATIONS_DIR };
const SCHEMA_FILE = path.join(__dirname, '../schema.graphql');

export interface CheckoutService {
  graphqlUrl: string;
  store: SessionStore;
  /** Undefined when RECOVERY_ENABLED=false. */
  recovery: RecoveryLoop | undefined;
  /** Undefined when OUTBOX_RELAY_ENABLED=false. */
  relay: OutboxRelay | undefined;
  /** Stops taking requests, lets running checkouts finish, closes connections. */
  stop: () => Promise<void>;
}

export function buildCheckoutSchema() {
  return buildSubgraphSchema({ typeDefs: parse(readFileSync(SCHEMA_FILE, 'utf8')), resolvers });
}

/**
 * Starts the checkout subgraph: migrations, gRPC clients (cart, catalog, inventory, payment),
 * the saga, the recovery loop, the outbox relay (CheckoutCompleted → Kafka) and the GraphQL
 * server. Recovery starts before the server so sessions a crash left behind are picked up
 * even if no request ever comes.
 */
export async function createCheckoutService(
  config: CheckoutConfig,
  options: { logger?: Logger } = {},
): Promise<CheckoutService> {
  const logger = options.logger ?? createLogger('checkout', config.logLevel);
  if (config.migrateOnStart) {
    await runMigrations({ dir: MIGRATIONS_DIR, postgresUrl: config.postgresUrl, logger });
  }
  const database = createCheckoutDatabase(config.postgresUrl);
  const store = createSessionStore(database, { leaseMs: config.leaseMs });
  const cart = createCartClient(config.grpc.cart, config.deadlines.cartMs, logger);
  const catalog = createProductCatalogClient(
    config.grpc.product,
    config.deadlines.productMs,
    logger,
  );
  const inventory = createInventoryClient(
    config.grpc.inventory,
    config.deadlines.inventoryMs,
    logger,
  );
  const payment = createPaymentClient(config.grpc.payment, config.deadlines.paymentMs, logger);
  const leases = createLeaseKeeper(store, config.leaseMs, logger);
  const crash = createCrashHook(config.crashAt, logger);
  const saga = createSaga({
    store,
    inventory,
    payment,
    leases,
    crash,
    checkoutEventsTopic: config.checkoutEventsTopic,
    logger,
  });
  const checkout = createCheckoutCommand({
    store,
    saga,
    cart,
    catalog,
    crash,
    waitMs: config.checkoutWaitMs,
    logger,
  });

  const recovery = config.recovery.enabled
    ? startRecoveryLoop({ store, saga, intervalMs: config.recovery.intervalMs, logger })
    : undefined;
  const kafka = createKafka({
    clientId: 'checkout-subgraph',
    brokers: config.kafkaBrokers,
    logger,
  });
  const relay = config.outboxRelayEnabled
    ? await startOutboxRelay({ postgresUrl: config.postgresUrl, kafka, logger })
    : undefined;

  const server = await startSubgraphServer<Context>({
    name: 'checkout',
    port: config.port,
    host: config.host,
    schema: buildCheckoutSchema(),
    logger,
    verifyToken: createTokenVerifier(config.jwt),
    context: (base) => createContext(base, { checkout, store }),
    readiness: { postgres: () => store.ping() },
  });
  logger.info({ owner: store.owner }, 'checkout saga ready');

  let stopping: Promise<void> | undefined;
  return {
    graphqlUrl: server.url,
    store,
    recovery,
    relay,
    // Idempotent: a second call waits for the first shutdown instead of closing things twice.
    stop: () =>
      (stopping ??= (async () => {
        // In order: no new requests (in-flight checkouts finish), no new recovery, then the
        // relay publishes what is left, then the connections close.
        await server.stop();
        await recovery?.stop();
        leases.stop();
        await relay?.stop();
        for (const client of [cart, catalog, inventory, payment]) client.close();
        await database.close();
      })()),
  };
}
