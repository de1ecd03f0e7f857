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
};

/** The fetcher wrapper for one subgraph: the public cache when it is listed, else none. */
export function publicCacheSettings(
  config: {
    PUBLIC_CACHE_SUBGRAPHS: string[];
    PUBLIC_CACHE_TTL_MS: number;
    PUBLIC_CACHE_MAX: number;
  },
  subgraph: string,
): { ttlMs: number; maxEntries: number } | undefined {
  if (!config.PUBLIC_CACHE_SUBGRAPHS.includes(subgraph) || config.PUBLIC_CACHE_TTL_MS === 0)
    return undefined;
  return { ttlMs: config.PUBLIC_CACHE_TTL_MS, maxEntries: config.PUBLIC_CACHE_MAX };
}
