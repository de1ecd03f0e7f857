import type { RemoteGraphQLDataSource } from '@apollo/gateway';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface PublicResponseCacheOptions {
  /** How long an answer is reused; also the longest a changed price can stay unseen. */
  ttlMs: number;
  /** Distinct requests kept at most; the oldest goes first. */
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  body: string;
  storedAt: number;
  /** How long it may be reused: the TTL, or less if the subgraph's max-age says so. */
  keepMs: number;
}

/**
 * A short-lived shared cache, with in-flight de-duplication, in front of a public subgraph (the
 * product catalog: name, description, price, image; no field depends on who asks). Profile
 * finding 1 in
 * docs/performance.md: latency is the sum of the hops, and the catalog hop is under every
 * shape (the catalog page itself, cart lines and order items through `_entities`).
 *
 * What keeps it correct:
 * - Queries go to the subgraph WITHOUT the caller's token, so every stored answer is the one
 *   an anonymous caller gets, and sharing it cannot show anyone another user's data. (Were a
 *   viewer-dependent field ever added to a listed subgraph, it would answer as for a
 *   signed-out caller, or UNAUTHENTICATED: wrong but never someone else's.) Mutations keep
 *   the token and bypass the cache.
 * - The key is the whole request body (the operation the planner wrote plus its variables,
 *   i.e. the exact representations): only an identical request gets the stored answer.
 * - Only HTTP 200 answers without `errors` are stored; mutations are never cached or shared.
 * - The subgraph says what may be kept, with Apollo's cache hints: only an answer sent as
 *   `Cache-Control: max-age=N, public` (N > 0) is stored, for N seconds at most. A live field
 *   (the product's `availability`, an in-stock filter) makes its answer `no-store`, so stock
 *   seen through the gateway is never older than the inventory stub's.
 * - An answer lives `ttlMs` (PUBLIC_CACHE_TTL_MS, 1 s by default), so a price changed in the
 *   catalog shows within that. Checkout never reads through here: it prices from the product
 *   service over gRPC.
 * - Identical requests in flight at once share one subgraph call; each caller gets its own
 *   Response built from the same body text.
 *
 * Hand-written rather than Apollo's response-cache plugin: that plugin caches whole client
 * operations by cache hints at the gateway's edge, where cart and order pages are per user;
 * this caches the one public subgraph's fetches that those per-user pages share.
 */
export function publicResponseCache(
  fetcher: Fetcher,
  { ttlMs, maxEntries, now = Date.now }: PublicResponseCacheOptions,
): Fetcher {
  const stored = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<FetcherResponse | Entry>>();

  return async (url, init) => {
    const body = typeof init?.body === 'string' ? init.body : undefined;
    if (body === undefined || ttlMs === 0 || !isQuery(body)) return fetcher(url, init);
    const key = `${url}\n${body}`;
    const anonymous = { ...init, headers: withoutAuthorization(init?.headers) };

    const hit = stored.get(key);
    if (hit && now() - hit.storedAt < hit.keepMs) return answer(hit, now());
    if (hit) stored.delete(key);

    const pending = inFlight.get(key);
    if (pending) {
      const shared = await pending;
      // A non-200 answer is the leader's alone (its body is unread); the followers ask again.
      // A 200 with GraphQL errors is shared with them but never stored.
      return 'storedAt' in shared ? answer(shared, now()) : fetcher(url, anonymous);
    }

    const leader = (async (): Promise<FetcherResponse | Entry> => {
      const response = await fetcher(url, anonymous);
      if (response.status !== 200) return response;
      const text = await response.text();
      const keepMs = Math.min(ttlMs, maxAgeMs(response.headers.get('cache-control')));
      // Errors, or a subgraph that says no-store: shared with requests in flight, never stored.
      if (text.includes('"errors"') || keepMs <= 0)
        return { body: text, storedAt: Number.NEGATIVE_INFINITY, keepMs: 0 };
      const entry = { body: text, storedAt: now(), keepMs };
      stored.set(key, entry);
      if (stored.size > maxEntries) stored.delete(stored.keys().next().value as string);
      return entry;
    })();
    inFlight.set(key, leader);
    try {
      const result = await leader;
      return 'storedAt' in result ? answer(result, now()) : result;
    } finally {
      inFlight.delete(key);
    }
  };
}

/**
 * Milliseconds a shared cache may keep the answer by its Cache-Control: 0 unless it is
 * `public` with a positive `max-age` (Apollo Server writes `max-age=N, public` or `no-store`).
 */
function maxAgeMs(cacheControl: string | null): number {
  const directives = (cacheControl ?? '')
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (!directives.includes('public')) return 0;
  const maxAge = directives.find((d) => d.startsWith('max-age='));
  const seconds = Number(maxAge?.slice('max-age='.length));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** Queries only: the planner writes `query …` or a bare selection set for reads. */
function isQuery(body: string): boolean {
  const match = /"query"\s*:\s*"\s*(\w+|\{)/.exec(body);
  return match?.[1] === 'query' || match?.[1] === '{';
}

function withoutAuthorization(headers: unknown): Record<string, string> {
  // RemoteGraphQLDataSource passes a plain object (Object.fromEntries of its Headers).
  const entries = Object.entries((headers ?? {}) as Record<string, string>);
  return Object.fromEntries(entries.filter(([name]) => name.toLowerCase() !== 'authorization'));
}

function answer(entry: Entry, at: number): FetcherResponse {
  // The max-age it has left, in whole seconds (Cache-Control has no finer unit), so a cache
  // after this one (the gateway's anonymous response cache) never keeps it past its expiry.
  const left = Math.floor((entry.storedAt + entry.keepMs - at) / 1000);
  // undici's Response has every member FetcherResponse names (see subgraphDataSource.ts).
  return new Response(entry.body, {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'cache-control': left > 0 ? `max-age=${left}, public` : 'no-store',
    },
  }) as unknown as FetcherResponse;
}
