import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import {
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
import { MIGRATIONS_DIR } from './data/migrations';
import { OrderStore } from './data/orderStore';
import { createOrdersPrisma } from './data/prismaClient';
import { startCheckoutEventsConsumer } from './events/checkoutEventsConsumer';
import { resolvers } from './resolvers';
import { createContext, type Context } from './context';

const SCHEMA_FILE = path.join(__dirname, '../schema.graphql');

export interface OrdersService {
  graphqlUrl: string;
  store: OrderStore;
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
  const store = new OrderStore(prisma, config.topics.orderEvents);
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

  const server = await startSubgraphServer<Context>({
    name: 'orders',
    port: config.port,
    host: config.host,
    schema: buildOrdersSchema(),
    logger,
    verifyToken: createTokenVerifier({ secret: config.jwtSecret, jwksUrl: config.jwksUrl }),
    context: (base) => createContext(base, { store }),
    readiness: { postgres: () => store.ping() },
    consumers: consumer ? { 'checkout-events': consumer.isRunning } : {},
  });
  // The first start is awaited, so a healthy service consumes once this function returns.
  await consumer?.firstAttempt;

  return {
    graphqlUrl: server.url,
    store,
    consumer,
    stop: async () => {
      await server.stop();
      await consumer?.stop();
      await relay?.stop();
      await prisma.$disconnect();
    },
  };
}
