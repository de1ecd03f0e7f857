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
import { OrderStore } from './data/orderStore';
import { createOrdersPrisma } from './data/prismaClient';
import {
  startCheckoutEventsConsumer,
  type CheckoutEventsConsumer,
} from './events/checkoutEventsConsumer';
import { startRefundsConsumer } from './events/refundsConsumer';
import { resolvers } from './resolvers';
import { createContext, type Context } from './context';

const SCHEMA_FILE = path.join(__dirname, '../schema.graphql');

export interface OrdersService {
  graphqlUrl: string;
  store: OrderStore;
  cancellations: CancellationStore;
  /** The CheckoutCompleted consumer, separately controllable so tests can crash and restart it. */
  consumer: {
    start: () => Promise<void>;
    stop: () => Promise<void>;
    isRunning: () => boolean;
  };
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
  const store = new OrderStore(prisma, config.topics.orderEvents);
  const cancellations = new CancellationStore(prisma, store, config.topics.orderEvents);
  const kafka = createKafka({ clientId: 'orders-subgraph', brokers: config.kafkaBrokers, logger });

  let consumer: CheckoutEventsConsumer | undefined;
  const consumerControl: OrdersService['consumer'] = {
    start: async () => {
      if (consumer?.isRunning()) return;
      consumer = await startCheckoutEventsConsumer({
        kafka,
        store,
        logger,
        topic: config.topics.checkoutEvents,
        deadLetterTopic: config.topics.checkoutEventsDlq,
        groupId: config.consumer.groupId,
        sessionTimeoutMs: config.consumer.sessionTimeoutMs,
        maxAttempts: config.consumer.maxAttempts,
        retryBackoffMs: config.consumer.retryBackoffMs,
        retryMaxBackoffMs: config.consumer.retryMaxBackoffMs,
      });
    },
    stop: async () => {
      await consumer?.stop();
    },
    isRunning: () => consumer?.isRunning() ?? false,
  };

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
    verifyToken: createTokenVerifier({ secret: config.jwtSecret, jwksUrl: config.jwksUrl }),
    context: (base) => createContext(base, { store, cancellations }),
    readiness: {
      postgres: () => store.ping(),
      ...(config.consumer.enabled
        ? {
            'checkout-events-consumer': async () => {
              if (!consumerControl.isRunning()) throw new Error('the consumer is not running');
            },
          }
        : {}),
      ...(refunds
        ? {
            'refunds-consumer': async () => {
              if (!refunds.isRunning()) throw new Error('the refunds consumer is not running');
            },
          }
        : {}),
    },
  });
  await refunds?.firstAttempt;
  // The first start is awaited, so a healthy service consumes once this function returns. If
  // Kafka is unreachable, the API still serves orders (they live in PostgreSQL): the consumer
  // keeps trying in the background and readiness says it is not running meanwhile.
  let stopping = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const startConsumer = async (attempt: number): Promise<void> => {
    if (stopping) return;
    try {
      await consumerControl.start();
    } catch (err) {
      const retryInMs = Math.min(1000 * 2 ** attempt, 30_000);
      logger.error({ err, retryInMs }, 'checkout-events consumer could not start; will retry');
      retryTimer = setTimeout(() => void startConsumer(attempt + 1), retryInMs);
    }
  };
  if (config.consumer.enabled) await startConsumer(0);

  return {
    graphqlUrl: server.url,
    store,
    cancellations,
    consumer: consumerControl,
    stop: async () => {
      stopping = true;
      clearTimeout(retryTimer);
      await server.stop();
      await consumerControl.stop();
      await refunds?.stop();
      await relay?.stop();
      payment.close();
      inventory.close();
      await prisma.$disconnect();
    },
  };
}
