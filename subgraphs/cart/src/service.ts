/**
 * Starts the cart subgraph: GraphQL over HTTP (PORT) and the internal CartService over gRPC
 * (GRPC_PORT), on MongoDB with an optional Redis cache, and the consumer that clears carts
 * after checkout (CheckoutCompleted on Kafka). Tests and the benchmark call it in-process;
 * src/index.ts runs it as a process.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { RetryOptions } from 'kafkajs';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { startGrpcServer } from '@shop/internal-grpc';
import {
  createKafka,
  createLogger,
  createTokenVerifier,
  startSubgraphServer,
  superviseConsumer,
  type SupervisedConsumer,
} from '@shop/shared';
import type { CartConfig } from './config';
import { DisabledCartCache, RedisCartCache, type CartCache } from './data/cartCache';
import { CartRepository, type CartRepositoryHooks } from './data/cartRepository';
import { CartStore } from './data/cartStore';
import { startExpirySweeper } from './data/expirySweeper';
import { reportConsumerRunning, startCartCheckoutConsumer } from './events/checkoutEventsConsumer';
import { registerCartService } from './grpc/cartGrpcServer';
import { createProductCatalog } from './data/productCatalog';
import { retentionPolicy } from './domain/guestToken';
import { resolvers } from './resolvers';
import { createContext, type Context } from './context';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface CartServiceOptions {
  logger?: Logger;
  /** Emit MongoDB command events on `mongoClient` (tests count commands with them). */
  monitorCommands?: boolean;
  hooks?: CartRepositoryHooks;
  /** Shorter breaker pauses make outage tests quick; production keeps the defaults. */
  breakerResetMs?: number;
  /** kafkajs retries of one connection attempt (tests shorten them; production keeps createKafka's). */
  kafkaRetry?: RetryOptions;
  /** First pause before the consumer is started again after a failed start (default 1 s). */
  consumerRestartBackoffMs?: number;
}

export interface RunningCartService {
  graphqlUrl: string;
  /** host:port of the CartService gRPC server. */
  grpcAddress: string;
  mongoClient: MongoClient;
  carts: CartRepository;
  cache: CartCache;
  /** Whether MongoDB expires carts itself (TTL index) or the sweep does. */
  expiry: 'ttl-index' | 'sweep';
  sweepExpired: () => Promise<number>;
  /** The cart-clearing consumer; null when CART_CONSUMER_ENABLED=false. */
  consumer: Pick<SupervisedConsumer, 'isRunning'> | null;
  stop: () => Promise<void>;
}

export async function createCartService(
  config: CartConfig,
  options: CartServiceOptions = {},
): Promise<RunningCartService> {
  const logger = options.logger ?? createLogger('cart', config.logLevel);

  const mongoClient = new MongoClient(config.mongoUrl, {
    monitorCommands: options.monitorCommands ?? false,
    serverSelectionTimeoutMS: 5000,
  });
  await mongoClient.connect();
  const store = new CartStore(mongoClient.db(), logger);
  const { ttl } = await store.ensureIndexes();
  // Always runs: the TTL index (where there is one) knows only the 90 days of signed-in carts.
  const sweeper = startExpirySweeper({
    store,
    logger,
    // The TTL index only knows signed-in carts' retention: guest carts need the sweep everywhere.
    intervalMs: config.sweepIntervalMs,
    guestRetentionMs: config.guestRetentionMs,
  });
  const retention = retentionPolicy(config.guestRetentionMs);

  let cache: CartCache = new DisabledCartCache();
  if (config.cache.enabled) {
    const redisCache = new RedisCartCache({
      url: config.cache.redisUrl,
      logger,
      commandTimeoutMs: config.cache.commandTimeoutMs,
      breakerResetMs: options.breakerResetMs,
      retention,
    });
    if (!(await redisCache.waitForConnection(1000))) {
      logger.warn('redis not reachable at start; serving carts from MongoDB until it is');
    }
    cache = redisCache;
  }
  const carts = new CartRepository({
    store,
    cache,
    logger,
    hooks: options.hooks,
    retention,
  });
  const catalog = createProductCatalog({
    address: config.grpc.product,
    deadlineMs: config.deadlines.productMs,
    logger,
    breakerResetMs: options.breakerResetMs,
  });

  const http = await startSubgraphServer<Context>({
    name: 'cart',
    port: config.port,
    host: config.host,
    schema: buildSubgraphSchema({ typeDefs, resolvers }),
    logger,
    verifyToken: createTokenVerifier(config.jwt),
    context: (base) => createContext(base, { carts, catalog }),
    // Redis is deliberately not here: carts work without it, so its absence must not take the
    // instance out of rotation.
    readiness: { mongodb: () => store.ping() },
    consumers: config.consumer.enabled
      ? { 'checkout-events': () => consumer?.isRunning() ?? false }
      : {},
  });
  const grpcServer = await startGrpcServer(
    (server) => registerCartService(server, carts, logger),
    `${config.host}:${config.grpcPort}`,
  );
  logger.info({ grpcPort: grpcServer.port, ttlIndex: ttl }, 'cart gRPC service ready');

  // Cart clearing. Not awaited and not failing readiness: carts are served from MongoDB whether
  // or not Kafka is reachable, so a Kafka outage must not take the instance out of rotation; the
  // supervisor keeps trying; /health/ready and `cart_checkout_consumer_running` tell whether
  // it consumes.
  let consumer: SupervisedConsumer | null = null;
  let unreportConsumer: () => void = () => undefined;
  if (config.consumer.enabled) {
    const kafka = createKafka({
      clientId: 'cart-subgraph',
      brokers: config.kafkaBrokers,
      logger,
      ...(options.kafkaRetry ? { retry: options.kafkaRetry } : {}),
    });
    consumer = superviseConsumer(
      (signal) =>
        startCartCheckoutConsumer({
          kafka,
          carts,
          logger,
          topic: config.topics.checkoutEvents,
          deadLetterTopic: config.topics.checkoutEventsDlq,
          groupId: config.consumer.groupId,
          maxAttempts: config.consumer.maxAttempts,
          retryBackoffMs: config.consumer.retryBackoffMs,
          retryMaxBackoffMs: config.consumer.retryMaxBackoffMs,
          signal,
        }),
      { logger, name: 'checkout events', initialBackoffMs: options.consumerRestartBackoffMs },
    );
    unreportConsumer = reportConsumerRunning(consumer.isRunning);
  }

  return {
    graphqlUrl: http.url,
    // Where a client on this host dials: a wildcard bind is reachable on loopback.
    grpcAddress: `${['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host}:${grpcServer.port}`,
    mongoClient,
    carts,
    cache,
    expiry: ttl ? 'ttl-index' : 'sweep',
    sweepExpired: sweeper.sweep,
    consumer,
    stop: async () => {
      // Consuming stops first: no cart write may start once MongoDB is about to close, and a
      // message cut short stays uncommitted for the next owner of its partition.
      await consumer?.stop();
      unreportConsumer();
      await http.stop();
      await grpcServer.stop();
      sweeper.stop();
      catalog.close();
      await cache.close();
      await mongoClient.close();
    },
  };
}
