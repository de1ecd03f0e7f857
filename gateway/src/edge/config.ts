import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { env } from '@shop/shared';
import type { OperationLimits } from './operationLimits';

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

const DEFAULT_MANIFEST = path.resolve(__dirname, '..', '..', 'persisted-query-manifest.json');

/**
 * The edge's settings (README "Configuration"), spread into the gateway's config shape. Defaults
 * let every operation the project ships through with room to spare.
 */
export const edgeConfigShape = {
  GATEWAY_MAX_DEPTH: count(12),
  GATEWAY_MAX_NESTING: count(30),
  GATEWAY_MAX_ALIASES: count(30),
  GATEWAY_MAX_ROOT_FIELDS: count(20),
  GATEWAY_MAX_TOKENS: count(5000),
  GATEWAY_MAX_DIRECTIVES: count(50),
  /** Estimated cost above which an operation is refused (COST_ESTIMATED_TOO_EXPENSIVE). */
  COST_MAX: count(5000),
  /** Assumed size of a list field without `@listSize` or a slicing argument. */
  COST_DEFAULT_LIST_SIZE: count(10),
  /** Distinct operations whose query plan demand control keeps (least recently used dropped). */
  COST_PLAN_CACHE_SIZE: count(500),
  /** Rate limiting in Redis; off = nothing is counted. */
  RATE_LIMIT_ENABLED: env.boolean(true),
  REDIS_URL: env.url('redis://127.0.0.1:6379', ['redis', 'rediss']),
  /** Cost units one user (or one anonymous client IP) may spend per window. */
  RATE_LIMIT_POINTS: count(20_000),
  RATE_LIMIT_WINDOW_SECONDS: count(60),
  /** The separate, tighter budget for `checkout`, in calls per window. */
  CHECKOUT_RATE_LIMIT_POINTS: count(10),
  CHECKOUT_RATE_LIMIT_WINDOW_SECONDS: count(60),
  /** Key prefix, so several shops (or tests) can share one Redis. */
  RATE_LIMIT_PREFIX: z.string().min(1).default('gateway-rl'),
  /**
   * express `trust proxy`: which proxies' X-Forwarded-For to believe (e.g. `loopback`,
   * `10.0.0.0/8`, a hop count). Unset = none, so the client IP is the socket's peer.
   */
  TRUSTED_PROXIES: z.string().min(1).optional(),
  /**
   * Every operation's end-to-end deadline: past it, subgraph fetches in flight are aborted and
   * the client gets HTTP 504 GATEWAY_TIMEOUT.
   */
  REQUEST_TIMEOUT_MS: count(30_000),
  /**
   * `apq`: automatic persisted queries, cached in Redis for every instance. `safelist`: only the
   * operations in PERSISTED_QUERY_MANIFEST run. `off`: neither.
   */
  PERSISTED_QUERIES: z.enum(['apq', 'safelist', 'off']).default('apq'),
  /** Apollo's persisted query manifest (`npm run persisted:manifest` writes the committed one). */
  PERSISTED_QUERY_MANIFEST: z
    .string()
    .default(DEFAULT_MANIFEST)
    .transform((p) => path.resolve(p))
    .refine((p) => existsSync(p), {
      message: 'the persisted query manifest does not exist; run `npm run persisted:manifest`',
    }),
  /** How long a registered APQ hash stays in Redis. */
  PERSISTED_QUERY_TTL_SECONDS: count(24 * 60 * 60),
  /** Keyv namespace (key prefix) of the APQ cache in Redis. */
  PERSISTED_QUERY_PREFIX: z.string().min(1).default('gateway-apq'),
  /** Failure ratio (percent) over opossum's rolling window (10 s) that opens a subgraph's breaker. */
  BREAKER_ERROR_PERCENT: z.coerce.number().int().min(1).max(100).default(50),
  /** Requests in the rolling window before the breaker may open. */
  BREAKER_VOLUME_THRESHOLD: count(5),
  /** How long an open breaker fails fast before letting one probe through. */
  BREAKER_RESET_MS: env.milliseconds(10_000),
};

/** The edge's settings as the gateway's code names them (camelCase, grouped by feature). */
export interface EdgeConfig {
  /** GATEWAY_MAX_*: the ceilings every operation is checked against. */
  operationLimits: OperationLimits;
  /** Demand control: COST_MAX, COST_DEFAULT_LIST_SIZE, COST_PLAN_CACHE_SIZE. */
  cost: { max: number; defaultListSize: number; planCacheSize: number };
  /** The Redis of the rate limits and the APQ cache. */
  redisUrl: string;
  rateLimit: {
    enabled: boolean;
    /** Redis key prefix. */
    prefix: string;
    points: number;
    windowSeconds: number;
    checkoutPoints: number;
    checkoutWindowSeconds: number;
  };
  /** express `trust proxy` (TRUSTED_PROXIES); undefined = trust none. */
  trustedProxies: string | undefined;
  /** Every operation's end-to-end deadline. */
  requestTimeoutMs: number;
  persistedQueries: {
    mode: 'apq' | 'safelist' | 'off';
    /** Absolute path of the persisted query manifest (the safelist). */
    manifestPath: string;
    ttlSeconds: number;
    /** Keyv namespace of the APQ cache in Redis. */
    prefix: string;
  };
  /** Per-subgraph circuit breaker. */
  breaker: { errorPercent: number; volumeThreshold: number; resetMs: number };
}

/** Maps the parsed `edgeConfigShape` variables onto their camelCase names. */
export function edgeConfig(c: z.infer<z.ZodObject<typeof edgeConfigShape>>): EdgeConfig {
  return {
    operationLimits: {
      maxDepth: c.GATEWAY_MAX_DEPTH,
      maxNesting: c.GATEWAY_MAX_NESTING,
      maxAliases: c.GATEWAY_MAX_ALIASES,
      maxRootFields: c.GATEWAY_MAX_ROOT_FIELDS,
      maxTokens: c.GATEWAY_MAX_TOKENS,
      maxDirectives: c.GATEWAY_MAX_DIRECTIVES,
    },
    cost: {
      max: c.COST_MAX,
      defaultListSize: c.COST_DEFAULT_LIST_SIZE,
      planCacheSize: c.COST_PLAN_CACHE_SIZE,
    },
    redisUrl: c.REDIS_URL,
    rateLimit: {
      enabled: c.RATE_LIMIT_ENABLED,
      prefix: c.RATE_LIMIT_PREFIX,
      points: c.RATE_LIMIT_POINTS,
      windowSeconds: c.RATE_LIMIT_WINDOW_SECONDS,
      checkoutPoints: c.CHECKOUT_RATE_LIMIT_POINTS,
      checkoutWindowSeconds: c.CHECKOUT_RATE_LIMIT_WINDOW_SECONDS,
    },
    trustedProxies: c.TRUSTED_PROXIES,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    persistedQueries: {
      mode: c.PERSISTED_QUERIES,
      manifestPath: c.PERSISTED_QUERY_MANIFEST,
      ttlSeconds: c.PERSISTED_QUERY_TTL_SECONDS,
      prefix: c.PERSISTED_QUERY_PREFIX,
    },
    breaker: {
      errorPercent: c.BREAKER_ERROR_PERCENT,
      volumeThreshold: c.BREAKER_VOLUME_THRESHOLD,
      resetMs: c.BREAKER_RESET_MS,
    },
  };
}
