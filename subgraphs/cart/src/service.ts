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
  const logger = options.logger ?? createLogger('cart', config.LOG_LEVEL);

  const mongoClient = new MongoClient(config.MONGO_URL, {
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
    intervalMs: config.CART_SWEEP_INTERVAL_MS,
    guestRetentionMs: config.GUEST_CART_RETENTION_MS,
  });
  const retention = retentionPolicy(config.GUEST_CART_RETENTION_MS);

  let cache: CartCache = new DisabledCartCache();
  if (config.CART_CACHE_ENABLED) {
    const redisCache = new RedisCartCache({
      url: config.REDIS_URL,
      logger,
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
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
    address: config.PRODUCT_GRPC_URL,
    deadlineMs: config.PRODUCT_GRPC_DEADLINE_MS,
    logger,
    breakerResetMs: options.breakerResetMs,
  });

  const http = await startSubgraphServer<Context>({
    name: 'cart',
    port: config.PORT,
    host: config.HOST,
    schema: buildSubgraphSchema({ typeDefs, resolvers }),
    logger,
    verifyToken: createTokenVerifier({ secret: config.JWT_SECRET, jwksUrl: config.JWKS_URL }),
    context: (base) => createContext(base, { carts, catalog }),
    // Redis is deliberately not here: carts work without it, so its absence must not take the
    // instance out of rotation.
    readiness: { mongodb: () => store.ping() },
  });
  const grpcServer = await startGrpcServer(
    (server) => registerCartService(server, carts, logger),
    `${config.HOST}:${config.GRPC_PORT}`,
  );
  logger.info({ grpcPort: grpcServer.port, ttlIndex: ttl }, 'cart gRPC service ready');

  // Cart clearing. Not awaited and not part of readiness: carts are served from MongoDB whether
  // or not Kafka is reachable, so a Kafka outage must not take the instance out of rotation; the
  // supervisor keeps trying and `cart_checkout_consumer_running` tells whether it consumes.
  let consumer: SupervisedConsumer | null = null;
  let unreportConsumer: () => void = () => undefined;
  if (config.CART_CONSUMER_ENABLED) {
    const kafka = createKafka({
      clientId: 'cart-subgraph',
      brokers: config.KAFKA_BROKERS,
      logger,
      ...(options.kafkaRetry ? { retry: options.kafkaRetry } : {}),
    });
    consumer = superviseConsumer(
      (signal) =>
        startCartCheckoutConsumer({
          kafka,
          carts,
          logger,
          topic: config.CHECKOUT_EVENTS_TOPIC,
          deadLetterTopic: config.CHECKOUT_EVENTS_DLQ_TOPIC,
          groupId: config.CART_CONSUMER_GROUP,
          maxAttempts: config.CART_CONSUMER_MAX_ATTEMPTS,
          retryBackoffMs: config.CART_CONSUMER_RETRY_BACKOFF_MS,
          retryMaxBackoffMs: config.CART_CONSUMER_RETRY_MAX_BACKOFF_MS,
          signal,
        }),
      { logger, name: 'checkout events', initialBackoffMs: options.consumerRestartBackoffMs },
    );
    unreportConsumer = reportConsumerRunning(consumer.isRunning);
  }

  return {
    graphqlUrl: http.url,
    // Where a client on this host dials: a wildcard bind is reachable on loopback.
    grpcAddress: `${['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST}:${grpcServer.port}`,
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
