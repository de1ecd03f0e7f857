import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** The gateway's speed settings (docs/performance.md); each has a safe default. */
export const performanceConfigShape = {
  /**
   * Verified tokens kept (the least recently used go first); each entry lives until its token's
   * `exp`, never longer. 0 = every request verifies its token again.
   */
  TOKEN_CACHE_MAX: z.coerce.number().int().min(0).default(10_000),
  /**
   * Subgraphs (comma-separated names) whose answers are shared between callers for
   * PUBLIC_CACHE_TTL_MS. Only a subgraph with no viewer-dependent field may be listed.
   */
  PUBLIC_CACHE_SUBGRAPHS: z
    .string()
    .default('product')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  /** How long a public answer is reused, i.e. how long a catalog change may take to show. 0 = off. */
  PUBLIC_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  PUBLIC_CACHE_MAX: z.coerce.number().int().min(1).default(1000),
  /**
   * Gateway processes behind the one port (node:cluster): a number, or `auto` for one per core.
   * 1 = no cluster. For a machine of its own; under Kubernetes, scale pods instead.
   */
  GATEWAY_WORKERS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)])
    .default(1)
    .transform((v) => (v === 'auto' ? availableParallelism() : v)),
};

/** The speed settings as the gateway's code names them. */
export interface PerformanceConfig {
  /** Verified tokens kept (TOKEN_CACHE_MAX); 0 = verify every request. */
  tokenCache: { maxEntries: number };
  publicCache: {
    /** Subgraphs whose answers are shared between callers (PUBLIC_CACHE_SUBGRAPHS). */
    subgraphs: string[];
    /** 0 = off. */
    ttlMs: number;
    maxEntries: number;
  };
  /** Gateway processes behind the port (GATEWAY_WORKERS, `auto` resolved); 1 = no cluster. */
  workers: number;
}

/** Maps the parsed `performanceConfigShape` variables onto their camelCase names. */
export function performanceConfig(
  c: z.infer<z.ZodObject<typeof performanceConfigShape>>,
): PerformanceConfig {
  return {
    tokenCache: { maxEntries: c.TOKEN_CACHE_MAX },
    publicCache: {
      subgraphs: c.PUBLIC_CACHE_SUBGRAPHS,
      ttlMs: c.PUBLIC_CACHE_TTL_MS,
      maxEntries: c.PUBLIC_CACHE_MAX,
    },
    workers: c.GATEWAY_WORKERS,
  };
}

/** The fetcher wrapper for one subgraph: the public cache when it is listed, else none. */
export function publicCacheSettings(
  publicCache: PerformanceConfig['publicCache'],
  subgraph: string,
): { ttlMs: number; maxEntries: number } | undefined {
  if (!publicCache.subgraphs.includes(subgraph) || publicCache.ttlMs === 0) return undefined;
  return { ttlMs: publicCache.ttlMs, maxEntries: publicCache.maxEntries };
}
