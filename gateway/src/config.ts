import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  env,
  httpUrl,
  loadConfig,
  subgraphServerConfig,
  subgraphServerEnv,
  type SubgraphServerConfig,
} from '@shop/shared';
import { edgeConfig, edgeConfigShape, type EdgeConfig } from './edge/config';
import {
  performanceConfig,
  performanceConfigShape,
  type PerformanceConfig,
} from './performance/config';

/**
 * Subgraph name in the supergraph → the variable that overrides its routing URL. Overrides
 * let one committed supergraph serve every environment (local, containers, tests) unchanged.
 */
export const SUBGRAPH_URL_VARIABLES = {
  product: 'PRODUCT_SUBGRAPH_URL',
  cart: 'CART_SUBGRAPH_URL',
  checkout: 'CHECKOUT_SUBGRAPH_URL',
  orders: 'ORDERS_SUBGRAPH_URL',
} as const;

const DEFAULT_SUPERGRAPH_PATH = path.resolve(__dirname, '..', '..', 'supergraph.graphql');

const subgraphUrl = httpUrl('http://127.0.0.1:4001/graphql');

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** WebSocket and subscription limits (gateway/README.md, "Subscriptions"). */
export const subscriptionLimitsShape = {
  /** Largest message a client may send over the WebSocket; bigger ones close it with 1009. */
  WS_MAX_PAYLOAD_BYTES: count(64 * 1024),
  /** A socket that has not sent connection_init by then is closed with 4408. */
  WS_CONNECTION_INIT_TIMEOUT_MS: env.milliseconds(5000),
  /** Server pings this often; a socket that does not pong within as long is cut. 0 = off. */
  WS_KEEPALIVE_MS: env.milliseconds(12_000),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: count(50),
  /** Per gateway instance; the next connection of that user is closed with 4429. */
  WS_MAX_CONNECTIONS_PER_USER: count(20),
  /** Unsent bytes a socket may hold (ws `bufferedAmount`) before it is closed with 4008. */
  WS_MAX_BUFFERED_BYTES: count(1024 * 1024),
  /** Messages one subscription may have waiting to be sent before its socket is closed (4008). */
  WS_MAX_QUEUED_MESSAGES: count(100),
  /** Supergraph reads for subscriptions in flight at once; the rest wait their turn. */
  SUBSCRIPTION_READ_CONCURRENCY: count(8),
};

/** The WebSocket and subscription limits, by the names the subscription server uses. */
export interface SubscriptionLimits {
  /** WS_MAX_PAYLOAD_BYTES */
  maxPayloadBytes: number;
  /** WS_CONNECTION_INIT_TIMEOUT_MS */
  connectionInitTimeoutMs: number;
  /** WS_KEEPALIVE_MS; 0 = no pings. */
  keepaliveMs: number;
  /** WS_MAX_SUBSCRIPTIONS_PER_CONNECTION */
  maxSubscriptionsPerConnection: number;
  /** WS_MAX_CONNECTIONS_PER_USER */
  maxConnectionsPerUser: number;
  /** WS_MAX_BUFFERED_BYTES */
  maxBufferedBytes: number;
  /** WS_MAX_QUEUED_MESSAGES */
  maxQueuedMessages: number;
  /** SUBSCRIPTION_READ_CONCURRENCY */
  readConcurrency: number;
}

/** Maps the parsed `subscriptionLimitsShape` variables onto their camelCase names. */
export function subscriptionLimits(
  c: z.infer<z.ZodObject<typeof subscriptionLimitsShape>>,
): SubscriptionLimits {
  return {
    maxPayloadBytes: c.WS_MAX_PAYLOAD_BYTES,
    connectionInitTimeoutMs: c.WS_CONNECTION_INIT_TIMEOUT_MS,
    keepaliveMs: c.WS_KEEPALIVE_MS,
    maxSubscriptionsPerConnection: c.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxConnectionsPerUser: c.WS_MAX_CONNECTIONS_PER_USER,
    maxBufferedBytes: c.WS_MAX_BUFFERED_BYTES,
    maxQueuedMessages: c.WS_MAX_QUEUED_MESSAGES,
    readConcurrency: c.SUBSCRIPTION_READ_CONCURRENCY,
  };
}

/** Unset = the profile's default (see loadGatewayConfig). */
const optionalBoolean = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

/**
 * Every setting of the gateway, read once from the environment (gateway/README.md,
 * "Configuration"). The variable names are the operators' and stay UPPER_CASE; code reads the
 * camelCase `GatewayConfig` that loadGatewayConfig maps them onto.
 */
const shape = {
  /** `production` switches on the production profile (gateway/README.md, "Production profile"). */
  NODE_ENV: z.string().optional(),
  /** Serve schema introspection. Default: on locally, off in production. */
  INTROSPECTION: optionalBoolean,
  /** Serve the Apollo Sandbox landing page at GET /graphql. Default: on locally, off in production. */
  LANDING_PAGE: optionalBoolean,
  /**
   * Where /metrics and /health/subgraphs are served, apart from the public port so they are not
   * reachable from the internet. Default: 9400 in production; locally unset = the main port.
   */
  INTERNAL_PORT: env.port(0).optional(),
  /**
   * Browser origins allowed to call /graphql (comma-separated; `*` = any). Default: any locally
   * (Sandbox, local front ends), none in production.
   */
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((v) =>
      v === undefined
        ? undefined
        : v
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z
            .string()
            .regex(
              /^(\*|https?:\/\/[^/\s]+)$/,
              'expected `*` or origins such as https://shop.example.com',
            ),
        )
        .optional(),
    ),
  /**
   * PORT (4000; 0 = any free port, for tests), HOST (loopback unless told otherwise; containers
   * set 0.0.0.0), LOG_LEVEL, and JWT_SECRET, JWT_JWKS_URL (RS256 only when set), JWT_ISSUER,
   * JWT_AUDIENCE: the same variables, checked the same way, as in every subgraph.
   */
  ...subgraphServerEnv(4000),
  /** The composed supergraph the gateway plans queries with (`npm run schema:compose`). */
  SUPERGRAPH_PATH: z
    .string()
    .default(DEFAULT_SUPERGRAPH_PATH)
    .transform((p) => path.resolve(p))
    .refine((p) => existsSync(p), {
      message: 'the supergraph file does not exist; run `npm run schema:compose`',
    }),
  PRODUCT_SUBGRAPH_URL: subgraphUrl.optional(),
  CART_SUBGRAPH_URL: subgraphUrl.optional(),
  CHECKOUT_SUBGRAPH_URL: subgraphUrl.optional(),
  ORDERS_SUBGRAPH_URL: subgraphUrl.optional(),
  /** Largest accepted request body (express/bytes syntax); bigger ones get 413, not a parse. */
  REQUEST_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 100kb or 1mb')
    .default('1mb'),
  /** A subgraph that has not answered by then is reported SERVICE_UNAVAILABLE. */
  SUBGRAPH_TIMEOUT_MS: env.milliseconds(10_000),
  /** Serve `orderStatusChanged` over graphql-ws (needs Kafka). */
  SUBSCRIPTIONS_ENABLED: env.boolean(true),
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  /** Where OrderStatusChanged events arrive; drives subscriptions. */
  ORDER_EVENTS_TOPIC: z.string().min(1).default('order-events'),
  ...edgeConfigShape,
  ...subscriptionLimitsShape,
  ...performanceConfigShape,
};

/** A subgraph of the supergraph whose routing URL a variable may override. */
export type SubgraphName = keyof typeof SUBGRAPH_URL_VARIABLES;

/**
 * The gateway's settings: `port`, `host`, `logLevel` and `jwt` as every subgraph names them
 * (SubgraphServerConfig), the edge's (EdgeConfig: operation limits, cost, rate limits, persisted
 * queries, breaker) and the speed settings (PerformanceConfig: token and public caches).
 */
export interface GatewayConfig extends SubgraphServerConfig, EdgeConfig, PerformanceConfig {
  /** NODE_ENV=production: the production profile, which flips the defaults below. */
  production: boolean;
  /** Serve schema introspection (INTROSPECTION; default on locally, off in production). */
  introspection: boolean;
  /** Serve Apollo Sandbox at GET /graphql (LANDING_PAGE; default on locally, off in production). */
  landingPage: boolean;
  /** Port of /metrics and /health/subgraphs; undefined = beside /graphql (the local default). */
  internalPort: number | undefined;
  /** Origins allowed on /graphql; `*` = any (local default), empty = none (production default). */
  corsOrigins: string[];
  /** Absolute path of the composed supergraph. */
  supergraphPath: string;
  /** Routing-URL overrides that are set (PRODUCT_SUBGRAPH_URL, …), by subgraph name. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  /** express/bytes syntax, e.g. 1mb. */
  requestBodyLimit: string;
  subgraphTimeoutMs: number;
  kafkaBrokers: string[];
  topics: { orderEvents: string };
  subscriptions: {
    /** Serve `orderStatusChanged` over graphql-ws (SUBSCRIPTIONS_ENABLED). */
    enabled: boolean;
    limits: SubscriptionLimits;
  };
}

/** The port /metrics and /health/subgraphs move to in production unless INTERNAL_PORT says. */
export const DEFAULT_INTERNAL_PORT = 9400;

/**
 * Throws ConfigError naming every bad variable; index.ts turns that into exit status 78.
 * NODE_ENV=production flips the defaults that are friendly locally and unsafe on the internet.
 */
export function loadGatewayConfig(environment: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const c = loadConfig(shape, environment);
  const production = c.NODE_ENV === 'production';
  const subgraphUrls: Partial<Record<SubgraphName, string>> = {};
  for (const [name, variable] of Object.entries(SUBGRAPH_URL_VARIABLES)) {
    const url = c[variable];
    if (url) subgraphUrls[name as SubgraphName] = url;
  }
  return {
    ...subgraphServerConfig(c),
    ...edgeConfig(c),
    ...performanceConfig(c),
    production,
    introspection: c.INTROSPECTION ?? !production,
    landingPage: c.LANDING_PAGE ?? !production,
    internalPort: c.INTERNAL_PORT ?? (production ? DEFAULT_INTERNAL_PORT : undefined),
    corsOrigins: c.CORS_ORIGINS ?? (production ? [] : ['*']),
    supergraphPath: c.SUPERGRAPH_PATH,
    subgraphUrls,
    requestBodyLimit: c.REQUEST_BODY_LIMIT,
    subgraphTimeoutMs: c.SUBGRAPH_TIMEOUT_MS,
    kafkaBrokers: c.KAFKA_BROKERS,
    topics: { orderEvents: c.ORDER_EVENTS_TOPIC },
    subscriptions: { enabled: c.SUBSCRIPTIONS_ENABLED, limits: subscriptionLimits(c) },
  };
}

/** The routing-URL overrides that are set, keyed by subgraph name. */
export function subgraphUrlOverrides(
  config: Pick<GatewayConfig, 'subgraphUrls'>,
): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const [name, url] of Object.entries(config.subgraphUrls)) {
    if (url) overrides.set(name, url);
  }
  return overrides;
}
