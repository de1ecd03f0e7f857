import type { ApolloServerPlugin } from '@apollo/server';
import ApolloServerPluginResponseCache from '@apollo/server-plugin-response-cache';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { GatewayContext } from '../auth';

/**
 * Whole answers for signed-out callers, from Apollo's response-cache plugin: an identical
 * anonymous query (the public catalog page above all) is answered from memory, skipping the
 * query plan's execution and every subgraph fetch. The profile (docs/performance.md) showed
 * the catalog page's time in the gateway's per-request work around a subgraph answer that the
 * public fetch cache already held.
 *
 * What keeps it correct:
 * - Only callers with neither a token nor a guest cart token read or write it, so no one's
 *   own data (cart, orders, checkout) is ever stored or served; everyone else goes past it.
 * - What may be stored is what the subgraphs say: @apollo/gateway restricts each answer's
 *   cache policy by every subgraph response's `Cache-Control` (none means max-age 0), and
 *   the plugin stores only a policy that is cacheable and PUBLIC. The product subgraph marks
 *   live stock `no-store`, so availability is never served from here.
 * - Nothing lives longer than `ttlMs` (PUBLIC_CACHE_TTL_MS, the same bound as the public fetch
 *   cache), and the fetch cache hands its answers on with only the max-age they have left, so
 *   a changed price shows within that bound, not twice it.
 * - The rate limits and demand control run before it (`didResolveOperation`), so a cached
 *   answer is still charged.
 */
export function anonymousResponseCache(options: {
  ttlMs: number;
  /** Bytes of cached answers kept at most; the least recently used go first. */
  maxBytes?: number;
}): ApolloServerPlugin<GatewayContext> {
  const anonymous = async ({ contextValue }: { contextValue: GatewayContext }) =>
    !contextValue.viewer && !contextValue.cartToken;
  return ApolloServerPluginResponseCache({
    cache: new TtlCappedCache(
      new InMemoryLRUCache<string>({ maxSize: options.maxBytes ?? 16 * 2 ** 20 }),
      options.ttlMs / 1000,
    ),
    sessionId: async () => null,
    shouldReadFromCache: anonymous,
    shouldWriteToCache: anonymous,
  }) as ApolloServerPlugin<GatewayContext>;
}

/** Stores every entry for at most `maxTtlSeconds`, whatever max-age the answer carried. */
class TtlCappedCache implements KeyValueCache<string> {
  constructor(
    private readonly inner: KeyValueCache<string>,
    private readonly maxTtlSeconds: number,
  ) {}

  get(key: string) {
    return this.inner.get(key);
  }

  set(key: string, value: string, options?: { ttl?: number | null }) {
    const ttl = Math.min(options?.ttl ?? this.maxTtlSeconds, this.maxTtlSeconds);
    return this.inner.set(key, value, { ttl });
  }

  delete(key: string) {
    return this.inner.delete(key);
  }
}
