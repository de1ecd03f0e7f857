/**
 * Starts the cart subgraph: GraphQL over HTTP (PORT) and the internal CartService over gRPC
 * (GRPC_PORT), on MongoDB with an optional Redis cache. Tests and the benchmark call it
 * in-process; src/index.ts runs it as a process.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { startGrpcServer } from '@shop/internal-grpc';
import { createLogger, createTokenVerifier, startSubgraphServer } from '@shop/shared';
import type { CartConfig } from './config';
import { DisabledCartCache, RedisCartCache, type CartCache } from './data/cartCache';
import { CartRepository, type CartRepositoryHooks } from './data/cartRepository';
import { CartStore } from './data/cartStore';
import { startExpirySweeper } from './data/expirySweeper';
import { registerCartService } from './grpc/cartGrpcServer';
import { createProductCatalog, createProductLoader } from './grpc/productCatalogClient';
import { resolvers } from './resolvers';
import type { CartContext } from './types/context';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface CartServiceOptions {
  logger?: Logger;
  /** Emit MongoDB command events on `mongoClient` (tests count commands with them). */
  monitorCommands?: boolean;
  hooks?: CartRepositoryHooks;
  /** Shorter breaker pauses make outage tests quick; production keeps the defaults. */
  breakerResetMs?: number;
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
  const sweeper = startExpirySweeper({
    store,
    logger,
    intervalMs: ttl ? 0 : config.CART_SWEEP_INTERVAL_MS,
  });

  let cache: CartCache = new DisabledCartCache();
  if (config.CART_CACHE_ENABLED) {
    const redisCache = new RedisCartCache({
      url: config.REDIS_URL,
      logger,
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      breakerResetMs: options.breakerResetMs,
    });
    if (!(await redisCache.waitForConnection(1000))) {
      logger.warn('redis not reachable at start; serving carts from MongoDB until it is');
    }
    cache = redisCache;
  }
  const carts = new CartRepository({ store, cache, logger, hooks: options.hooks });
  const catalog = createProductCatalog({
    address: config.PRODUCT_GRPC_URL,
    deadlineMs: config.PRODUCT_GRPC_DEADLINE_MS,
    logger,
    breakerResetMs: options.breakerResetMs,
  });

  const http = await startSubgraphServer<CartContext>({
    name: 'cart',
    port: config.PORT,
    schema: buildSubgraphSchema({ typeDefs, resolvers }),
    logger,
    verifyToken: createTokenVerifier({ secret: config.JWT_SECRET }),
    context: (base) => ({ ...base, carts, products: createProductLoader(catalog) }),
    // Redis is deliberately not here: carts work without it, so its absence must not take the
    // instance out of rotation.
    readiness: { mongodb: () => store.ping() },
  });
  const grpcServer = await startGrpcServer(
    (server) => registerCartService(server, carts, logger),
    `127.0.0.1:${config.GRPC_PORT}`,
  );
  logger.info({ grpcPort: grpcServer.port, ttlIndex: ttl }, 'cart gRPC service ready');

  return {
    graphqlUrl: http.url,
    grpcAddress: `127.0.0.1:${grpcServer.port}`,
    mongoClient,
    carts,
    cache,
    expiry: ttl ? 'ttl-index' : 'sweep',
    sweepExpired: sweeper.sweep,
    stop: async () => {
      await http.stop();
      await grpcServer.stop();
      sweeper.stop();
      catalog.close();
      await cache.close();
      await mongoClient.close();
    },
  };
}
