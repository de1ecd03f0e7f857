import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import { createInventoryClient, createPaymentClient } from '@shop/internal-grpc';
import {
  createCrashHook,
  createKafka,
  createLogger,
  createTokenVerifier,
  runMigrations,
  startOutboxRelay,
  startSubgraphServer,
  superviseConsumer,
  type OutboxRelay,
  type SupervisedConsumer,
} from '@shop/shared';
import type { OrdersConfig } from './config';
import { CancellationStore } from './data/cancellationStore';
import { MIGRATIONS_DIR } from './data/migrations';
import { openOrderStatements } from './data/orderStatements';
import { OrderStore } from './data/orderStore';
import { createOrdersPrisma } from './data/prismaClient';
import { startCheckoutEventsConsumer } from './events/checkoutEventsConsumer';
import { startRefundsConsumer } from './events/refundsConsumer';
import { resolvers } from './resolvers';
import { createContext, type Context } from './context';

const SCHEMA_FILE = path.join(__dirname, '../schema.graphql');

export interface OrdersService {
  graphqlUrl: string;
  store: OrderStore;
  cancellations: CancellationStore;
  /** The CheckoutCompleted consumer under its supervisor; null when CONSUMER_ENABLED=false. */
  consumer: Pick<SupervisedConsumer, 'isRunning' | 'stop'> | null;
  /** Stops taking requests and messages, finishes what is in flight, closes connections. */
  stop: () => Promise<void>;
}

export function buildOrdersSchema() {
  return buildSubgraphSchema({
    typeDefs: parse(readFileSync(SCHEMA_FILE, 'utf8')),
    resolvers,
  });
}

/**
 * Starts the orders subgraph: migrations, the GraphQL server, the CheckoutCompleted consumer
 * and (when enabled) the outbox relay that publishes OrderStatusChanged to Kafka.
 */
export async function createOrdersService(
  config: OrdersConfig,
  options: { logger?: Logger } = {},
): Promise<OrdersService> {
  const logger = options.logger ?? createLogger('orders', config.logLevel);
  if (config.migrateOnStart) {
    await runMigrations({ dir: MIGRATIONS_DIR, postgresUrl: config.postgresUrl, logger });
  }
  const prisma = createOrdersPrisma(config.postgresUrl);
  const statements = openOrderStatements(config.postgresUrl);
  const store = new OrderStore(prisma, config.topics.orderEvents, statements);
  const cancellations = new CancellationStore(prisma, store, config.topics.orderEvents);
  const kafka = createKafka({ clientId: 'orders-subgraph', brokers: config.kafkaBrokers, logger });

  // Orders live in PostgreSQL, so the API serves them whether or not Kafka is reachable: the
  // supervisor keeps starting the consumer, and /health/ready shows whether it runs.
  const consumer: SupervisedConsumer | null = config.consumer.enabled
    ? superviseConsumer(
        (signal) =>
          startCheckoutEventsConsumer({
            kafka,
            store,
            logger,
            topic: config.topics.checkoutEvents,
            deadLetterTopic: config.topics.checkoutEventsDlq,
            groupId: config.consumer.groupId,
            sessionTimeoutMs: config.consumer.sessionTimeoutMs,
            partitionsConcurrently: config.consumer.partitionsConcurrently,
            maxAttempts: config.consumer.maxAttempts,
            retryBackoffMs: config.consumer.retryBackoffMs,
            retryMaxBackoffMs: config.consumer.retryMaxBackoffMs,
            signal,
          }),
        { logger, name: 'checkout events' },
      )
    : null;

  const relay: OutboxRelay | undefined = config.outboxRelayEnabled
    ? await startOutboxRelay({ postgresUrl: config.postgresUrl, kafka, logger })
    : undefined;

  // The cancellation saga's consumer (events/refundsConsumer.ts), kept running by the shared
  // supervisor: while Kafka is unreachable the API still cancels (the events wait in the outbox).
  const payment = createPaymentClient(
    config.refunds.paymentGrpcUrl,
    config.refunds.deadlineMs,
    logger,
  );
  const inventory = createInventoryClient(
    config.refunds.inventoryGrpcUrl,
    config.refunds.deadlineMs,
    logger,
  );
  const crash = createCrashHook(config.crashAt, 'ORDERS_CRASH_AT', logger);
  const refunds: SupervisedConsumer | undefined = config.refunds.enabled
    ? superviseConsumer(
        (signal) =>
          startRefundsConsumer({
            kafka,
            orders: store,
            cancellations,
            payment,
            inventory,
            logger,
            topic: config.topics.orderEvents,
            deadLetterTopic: config.refunds.deadLetterTopic,
            groupId: config.refunds.groupId,
            sessionTimeoutMs: config.consumer.sessionTimeoutMs,
            refundMaxAttempts: config.refunds.maxAttempts,
            maxAttempts: config.consumer.maxAttempts,
            retryBackoffMs: config.consumer.retryBackoffMs,
            retryMaxBackoffMs: config.consumer.retryMaxBackoffMs,
            crash,
            signal,
          }),
        { logger, name: 'order cancellations' },
      )
    : undefined;

  const server = await startSubgraphServer<Context>({
    name: 'orders',
    port: config.port,
    host: config.host,
    schema: buildOrdersSchema(),
    logger,
    verifyToken: createTokenVerifier(config.jwt),
    context: (base) => createContext(base, { store, cancellations }),
    readiness: { postgres: () => store.ping() },
    consumers: {
      ...(consumer ? { 'checkout-events': consumer.isRunning } : {}),
      ...(refunds ? { 'order-cancellations': refunds.isRunning } : {}),
    },
  });
  // The first starts are awaited, so a healthy service consumes once this function returns.
  await Promise.all([consumer?.firstAttempt, refunds?.firstAttempt]);

  return {
    graphqlUrl: server.url,
    store,
    cancellations,
    consumer,
    stop: async () => {
      await server.stop();
      await consumer?.stop();
      await refunds?.stop();
      await relay?.stop();
      payment.close();
      inventory.close();
      await statements.close();
      await prisma.$disconnect();
    },
  };
}
