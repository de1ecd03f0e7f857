/**
 * `npm run bench:cart`: how much the Redis cache buys the cart, measured through the gateway.
 *
 * Starts in this process, on the infra servers (`bash scripts/infra.sh up`): the product
 * service, a cart service with the cache and one with CART_CACHE_ENABLED=false on the same
 * MongoDB database, and a gateway in front of each. Seeds BENCH_USERS carts, warms them, then
 * drives each gateway with autocannon at fixed concurrency, in two halves per comparison
 * (cache on, off, off, on) so drift on a busy machine weighs on both alike:
 *
 *   mix    90% reads of a whole cart page (lines, product names, line totals, subtotal),
 *          10% writes (addToCart / updateCartItemQuantity), each from a random shopper
 *   reads  the same reads alone
 *   badge  reads of the cart badge (id, totalQuantity): only the cart subgraph answers, no
 *          product fields and no catalog lookup, so the cache's share of the work is largest
 *
 * and prints throughput, p50/p99 latency and the cache hit rate (from the cart service's
 * /metrics) for each, and the cached/uncached ratios. Knobs: BENCH_DURATION (s, default 10),
 * BENCH_CONNECTIONS (default 32), BENCH_USERS (default 200), BENCH_WARMUP (s per service, default 3).
 * Everything runs on one machine and in one process, so the figures compare the two
 * configurations with each other; they are not a capacity estimate.
 */
import autocannon from 'autocannon';
import { infra, testToken, uniqueName } from '@shop/shared/src/testing';
import { startShop } from '../subgraphs/cart/test/shop';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const USERS = Number(process.env.BENCH_USERS ?? 200);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const PRODUCTS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];

const READ = JSON.stringify({
  query: `query CartPage { cart { id totalQuantity subtotal { amount currencyCode }
    items { quantity lineTotal { amount currencyCode } product { id name price { amount } } } } }`,
});
/** The cart badge: only the cart subgraph answers it, so the cache's share of the work is largest. */
const BADGE = JSON.stringify({ query: 'query CartBadge { cart { id totalQuantity } }' });
const writeBody = (i: number) => {
  const productId = PRODUCTS[i % 3]!; // one of the products every cart was seeded with
  return JSON.stringify(
    i % 2
      ? {
          query: `mutation ($p: ID!) { addToCart(productId: $p, quantity: 1) { id totalQuantity subtotal { amount } } }`,
          variables: { p: productId },
        }
      : {
          query: `mutation ($p: ID!, $q: Int!) { updateCartItemQuantity(productId: $p, quantity: $q) { id totalQuantity subtotal { amount } } }`,
          variables: { p: productId, q: 1 + (i % 3) },
        },
  );
};

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
  hits: number;
  lookups: number;
  hitRate: number | null;
}

/** Two halves of one configuration: requests add up, latencies are the mean of the halves. */
function merge(a: Figures, b: Figures): Figures {
  const hits = a.hits + b.hits;
  const lookups = a.lookups + b.lookups;
  return {
    name: a.name,
    rps: (a.rps + b.rps) / 2,
    p50: (a.p50 + b.p50) / 2,
    p99: (a.p99 + b.p99) / 2,
    requests: a.requests + b.requests,
    failed: a.failed + b.failed,
    hits,
    lookups,
    hitRate: lookups > 0 ? hits / lookups : null,
  };
}

async function cacheCounts(graphqlUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', graphqlUrl))).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^cart_cache_lookups_total\{result="(\w+)"\} (\d+)/gm)) {
    counts[m[1]!] = Number(m[2]);
  }
  return counts;
}

async function run(
  name: string,
  url: string,
  cartUrl: string,
  tokens: string[],
  writeShare: number,
  read = READ,
  duration = DURATION,
): Promise<Figures> {
  let failed = 0;
  let n = 0;
  const before = await cacheCounts(cartUrl);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const i = n++;
          const token = tokens[Math.floor(Math.random() * tokens.length)]!;
          return {
            ...req,
            headers: {
              'content-type': 'application/json',
              'apollo-require-preflight': 'true',
              authorization: `Bearer ${token}`,
            },
            body: Math.random() < writeShare ? writeBody(i) : read,
          };
        },
        onResponse: (status, body) => {
          if (status !== 200 || body.includes('"errors"')) failed++;
        },
      },
    ],
  });
  const after = await cacheCounts(cartUrl);
  const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  const lookups = ['hit', 'miss', 'bypass', 'error'].reduce((s, k) => s + delta(k), 0);
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failed: failed + result.non2xx + result.errors + result.timeouts,
    hits: delta('hit'),
    lookups,
    hitRate: lookups > 0 ? delta('hit') / lookups : null,
  };
}

function table(rows: Figures[]): void {
  const line = (cells: string[]) =>
    console.log(cells.map((c, i) => (i === 0 ? c.padEnd(26) : c.padStart(11))).join(''));
  line(['run', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'failed', 'cache hits']);
  // p50/p99: mean of the two halves' percentiles.
  for (const r of rows) {
    line([
      r.name,
      r.rps.toFixed(0),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      String(r.requests),
      String(r.failed),
      r.hitRate === null ? '—' : `${(r.hitRate * 100).toFixed(1)}%`,
    ]);
  }
}

async function main() {
  console.log(
    `bench:cart — ${USERS} shoppers, ${CONNECTIONS} connections, ${DURATION} s per configuration and workload, through the gateway`,
  );
  const shop = await startShop();
  try {
    const uncached = await shop.withCart({
      CART_CACHE_ENABLED: 'false',
      // Same carts as the cached service, so both runs read the same data.
      MONGO_URL: `${infra.mongoUrl}/${shop.cart.dbName}`,
    });

    const users = Array.from({ length: USERS }, () => uniqueName('bench'));
    const tokens = await Promise.all(users.map((u) => testToken(u, { expiresIn: '2h' })));
    for (const [i, userId] of users.entries()) {
      for (const p of PRODUCTS.slice(0, 3)) await shop.cart.carts.addItem(userId, p, 1);
      await shop.cart.carts.addItem(userId, PRODUCTS[3 + (i % 7)]!, 2);
    }
    // Warm: every cart read once through the cached service.
    await Promise.all(users.map((u) => shop.cart.carts.read(u)));

    // Unmeasured warm-up of both paths (JIT, connection pools, query plans): without it the
    // first measured run pays for everything that starts cold.
    for (const target of [shop, uncached]) {
      await run('warm-up', target.gateway.url, target.cart.graphqlUrl, tokens, 0.1, READ, WARMUP);
    }

    // Each comparison runs in two halves, ordered on/off then off/on, and the halves are
    // combined: drift during the run (other processes on the machine, GC, a warming JIT) then
    // weighs on both configurations alike instead of on whichever ran second.
    const cached = { url: shop.gateway.url, cart: shop.cart.graphqlUrl };
    const plain = { url: uncached.gateway.url, cart: uncached.cart.graphqlUrl };
    const half = DURATION / 2;
    const compare = async (label: string, writeShare: number, read: string) => {
      const measure = (target: typeof cached, on: boolean) =>
        run(
          `${label}, cache ${on ? 'on' : 'off'}`,
          target.url,
          target.cart,
          tokens,
          writeShare,
          read,
          half,
        );
      const on1 = await measure(cached, true);
      const off1 = await measure(plain, false);
      const off2 = await measure(plain, false);
      const on2 = await measure(cached, true);
      // The uncached service never looks at Redis; lookups counted in its window are the tail
      // of the previous cached run still in flight (metrics share one registry in-process).
      return [merge(on1, on2), { ...merge(off1, off2), hitRate: null }] as const;
    };
    const mix = await compare('mix 90/10', 0.1, READ);
    const reads = await compare('reads only', 0, READ);
    const badge = await compare('badge reads', 0, BADGE);
    const rows = [...mix, ...reads, ...badge];
    console.log();
    table(rows);
    console.log();
    const gain = (label: string, [on, off]: readonly [Figures, Figures]) =>
      console.log(
        `cache gain, ${label.padEnd(12)} ${(on.rps / off.rps).toFixed(2)}× throughput, ` +
          `p50 ${(off.p50 / on.p50).toFixed(2)}× lower, p99 ${(off.p99 / on.p99).toFixed(2)}× lower`,
      );
    gain('mix:', mix);
    gain('reads only:', reads);
    gain('badge reads:', badge);
    if (rows.some((r) => r.failed > 0)) {
      console.log('some requests failed: the figures above are not comparable');
      process.exitCode = 1;
    }
  } finally {
    await shop.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
