import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import DataLoader from 'dataloader';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import { createProductCatalogClient } from '@shop/internal-grpc';
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
import { createCheckoutPrisma } from './data/prismaClient';
import { createSessionStore, type SessionRecord, type SessionStore } from './data/sessionStore';
import { createCartClient } from './grpc/cartClient';
import { createInventoryClient } from './grpc/inventoryClient';
import { createPaymentClient } from './grpc/paymentClient';
import { resolvers } from './resolvers';
import { createCheckoutCommand } from './saga/checkoutCommand';
import { createCrashHook } from './saga/crashHook';
import { createLeaseKeeper } from './saga/leaseKeeper';
import { createSaga } from './saga/orchestrator';
import { startRecoveryLoop, type RecoveryLoop } from './saga/recovery';
import type { Context } from './types/context';

export const MIGRATIONS_DIR = path.join(__dirname, '../../../prisma/checkout/migrations');
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
  const prisma = createCheckoutPrisma(config.postgresUrl);
  const store = createSessionStore(prisma, { leaseMs: config.leaseMs });
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
    verifyToken: createTokenVerifier({ secret: config.jwtSecret, jwksUrl: config.jwksUrl }),
    context: (base) => ({
      ...base,
      checkout,
      sessionsById: new DataLoader<string, SessionRecord | null>(async (ids) => {
        const rows = await store.findByIds(ids);
        const byId = new Map(rows.map((row) => [row.id, row]));
        return ids.map((id) => byId.get(id) ?? null);
      }),
    }),
    readiness: {
      postgres: () => prisma.$queryRaw`SELECT 1`,
    },
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
        await prisma.$disconnect();
      })()),
  };
}
