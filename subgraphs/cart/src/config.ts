import { z } from 'zod';
import {
  env,
  loadConfig,
  subgraphServerConfig,
  subgraphServerEnv,
  type SubgraphServerConfig,
  Topics,
} from '@shop/shared';
import { CART_RETENTION_MS, GUEST_CART_RETENTION_MS } from './domain/cart';

/**
 * Every setting of the cart subgraph, read once from the environment. Defaults run it locally
 * next to `scripts/infra.sh up` and the product subgraph; a bad value stops the process naming it.
 */
const shape = {
  ...subgraphServerEnv(4002),
  /** 0 binds any free port (tests); the defaults are the ports of docs/design-decisions.md. */
  GRPC_PORT: env.port(50052),
  /** The database name is the URL's path. */
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'expected a mongodb:// or mongodb+srv:// URL')
    .default('mongodb://127.0.0.1:27017/shop'),
  REDIS_URL: env.url('redis://127.0.0.1:6379', ['redis', 'rediss']),
  PRODUCT_GRPC_URL: env.hostPort('127.0.0.1:50051'),
  /** false: every read goes to MongoDB (the benchmark's baseline). */
  CART_CACHE_ENABLED: env.boolean(true),
  /** Budget of one Redis command before the read falls back to MongoDB. */
  REDIS_COMMAND_TIMEOUT_MS: env.milliseconds(100),
  /** gRPC deadline of one catalog call. */
  PRODUCT_GRPC_DEADLINE_MS: env.milliseconds(2000),
  /**
   * How often expired carts are deleted: guest carts always (the TTL index holds the 90 days of
   * signed-in carts only), signed-in carts where MongoDB has no TTL index (FerretDB).
   */
  CART_SWEEP_INTERVAL_MS: env.milliseconds(60 * 60_000),
  /**
   * A guest cart (X-Cart-Token) nobody changed for this long is gone; 30 days. At most the 90
   * days of signed-in carts, whose TTL index covers guest carts too.
   */
  GUEST_CART_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(CART_RETENTION_MS)
    .default(GUEST_CART_RETENTION_MS),
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  /** Runs the cart-clearing consumer in this process (off for an API-only replica). */
  CART_CONSUMER_ENABLED: env.boolean(true),
  CART_CONSUMER_GROUP: z.string().min(1).default('cart-service'),
  CHECKOUT_EVENTS_TOPIC: z.string().min(1).default(Topics.checkoutEvents),
  /** Where checkout events that can never be applied go, with the reason in `dlq-*` headers. */
  CHECKOUT_EVENTS_DLQ_TOPIC: z.string().min(1).default(Topics.checkoutEventsDlq),
  /**
   * Attempts for a checkout event whose cart write fails for a reason other than MongoDB being
   * unreachable (that is retried until it is back); then it is dead-lettered.
   */
  CART_CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** First retry delay of a checkout event; doubles per retry up to the max. */
  CART_CONSUMER_RETRY_BACKOFF_MS: env.milliseconds(200),
  CART_CONSUMER_RETRY_MAX_BACKOFF_MS: env.milliseconds(5000),
};

export interface CartConfig extends SubgraphServerConfig {
  grpcPort: number;
  mongoUrl: string;
  /** Expired carts are swept this often where MongoDB has no TTL index. */
  sweepIntervalMs: number;
  /** A guest cart untouched this long is deleted (GUEST_CART_RETENTION_MS, 30 days). */
  guestRetentionMs: number;
  cache: { enabled: boolean; redisUrl: string; commandTimeoutMs: number };
  grpc: { product: string };
  deadlines: { productMs: number };
  kafkaBrokers: string[];
  topics: { checkoutEvents: string; checkoutEventsDlq: string };
  consumer: {
    enabled: boolean;
    groupId: string;
    maxAttempts: number;
    retryBackoffMs: number;
    retryMaxBackoffMs: number;
  };
}

/** Throws ConfigError naming every bad variable (index.ts turns that into exit status 78). */
export function loadCartConfig(environment: NodeJS.ProcessEnv = process.env): CartConfig {
  const c = loadConfig(shape, environment);
  return {
    ...subgraphServerConfig(c),
    grpcPort: c.GRPC_PORT,
    mongoUrl: c.MONGO_URL,
    sweepIntervalMs: c.CART_SWEEP_INTERVAL_MS,
    guestRetentionMs: c.GUEST_CART_RETENTION_MS,
    cache: {
      enabled: c.CART_CACHE_ENABLED,
      redisUrl: c.REDIS_URL,
      commandTimeoutMs: c.REDIS_COMMAND_TIMEOUT_MS,
    },
    grpc: { product: c.PRODUCT_GRPC_URL },
    deadlines: { productMs: c.PRODUCT_GRPC_DEADLINE_MS },
    kafkaBrokers: c.KAFKA_BROKERS,
    topics: {
      checkoutEvents: c.CHECKOUT_EVENTS_TOPIC,
      checkoutEventsDlq: c.CHECKOUT_EVENTS_DLQ_TOPIC,
    },
    consumer: {
      enabled: c.CART_CONSUMER_ENABLED,
      groupId: c.CART_CONSUMER_GROUP,
      maxAttempts: c.CART_CONSUMER_MAX_ATTEMPTS,
      retryBackoffMs: c.CART_CONSUMER_RETRY_BACKOFF_MS,
      retryMaxBackoffMs: c.CART_CONSUMER_RETRY_MAX_BACKOFF_MS,
    },
  };
}
