import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { env, httpUrl, jwtEnvShape, loadConfig } from '@shop/shared';
import { edgeConfigShape } from './edge/config';
import { performanceConfigShape } from './performance/config';

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
  SUBSCRIPTION_READ_CONCURRENCY: count(4),
};

/** Unset = the profile's default (see loadGatewayConfig). */
const optionalBoolean = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

const gatewayConfigShape = {
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
  /** 0 = any free port (tests). */
  PORT: env.port(4000),
  /** Loopback unless told otherwise; containers set 0.0.0.0. */
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: env.logLevel(),
  /**
   * JWT_SECRET, JWT_JWKS_URL (RS256 only when set), JWT_ISSUER, JWT_AUDIENCE: the same variables,
   * checked the same way, as in every subgraph.
   */
  ...jwtEnvShape,
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

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

/** The port /metrics and /health/subgraphs move to in production unless INTERNAL_PORT says. */
export const DEFAULT_INTERNAL_PORT = 9400;

/**
 * Throws ConfigError naming every bad variable; index.ts turns that into exit status 78.
 * NODE_ENV=production flips the defaults that are friendly locally and unsafe on the internet.
 */
export function loadGatewayConfig(environment: NodeJS.ProcessEnv = process.env) {
  const c = loadConfig(gatewayConfigShape, environment);
  const production = c.NODE_ENV === 'production';
  return {
    ...c,
    production,
    INTROSPECTION: c.INTROSPECTION ?? !production,
    LANDING_PAGE: c.LANDING_PAGE ?? !production,
    INTERNAL_PORT: c.INTERNAL_PORT ?? (production ? DEFAULT_INTERNAL_PORT : undefined),
    CORS_ORIGINS: c.CORS_ORIGINS ?? (production ? [] : ['*']),
  };
}

/** The routing-URL overrides that are set, keyed by subgraph name. */
export function subgraphUrlOverrides(config: GatewayConfig): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const [name, variable] of Object.entries(SUBGRAPH_URL_VARIABLES)) {
    const url = config[variable];
    if (url) overrides.set(name, url);
  }
  return overrides;
}
