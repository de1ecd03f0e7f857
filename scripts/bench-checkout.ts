/**
 * `npm run bench:checkout`: how fast the checkout saga runs, and how soon its event follows.
 *
 * Starts in this process, on the infra servers (`bash scripts/infra.sh up`): the product
 * service, a cart service, the inventory stub (plenty of stock) and the payment stub with its
 * simulated delay at 0, a checkout service on a database and Kafka topic of its own, and a
 * consumer on that topic. Fills BENCH_USERS carts (two products each), warms up, then runs
 * BENCH_CHECKOUTS checkouts through the checkout subgraph's GraphQL endpoint, BENCH_CONCURRENCY
 * at a time, each with a fresh idempotency key, and prints:
 *
 *   checkouts/s and the p50/p99/max latency of the mutation (every one a full saga: cart and
 *   catalog snapshot, session insert, Reserve, Charge, Confirm, COMPLETED + outbox row);
 *   COMPLETED → event on the topic: the session's completedAt to the moment the consumer here
 *   received its CheckoutCompleted (relay woken by NOTIFY, Kafka produce, consumer fetch).
 *
 * A hand-written load loop rather than autocannon: every request needs its own idempotency
 * key and token, and the latency wanted is per checkout. Everything runs on one machine in one
 * process, so the figures describe this setup, not a capacity estimate.
 */
import { uniqueName } from '@shop/shared/src/testing';
import {
  checkoutInput,
  startWorld,
  submitCheckout,
  waitFor,
} from '../subgraphs/checkout/test/world';

const USERS = Number(process.env.BENCH_USERS ?? 50);
const CHECKOUTS = Number(process.env.BENCH_CHECKOUTS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 30);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function main(): Promise<void> {
  process.stdout.write('starting product, cart, stubs, checkout and a topic consumer…\n');
  const world = await startWorld({ inventorySeed: '1-30=10000000' });
  try {
    const checkout = await world.startCheckout({ RECOVERY_INTERVAL_MS: '5000' });
    const users = Array.from({ length: USERS }, () => uniqueName('bench'));
    for (const [i, user] of users.entries()) {
      await world.addToCart(user, String(1 + (i % 10)), 1);
      await world.addToCart(user, String(11 + (i % 10)), 2);
    }

    const completedAt = new Map<string, number>();
    const statuses = new Map<string, number>();
    const latencies: number[] = [];
    let next = 0;
    async function worker(total: number, record: boolean): Promise<void> {
      for (;;) {
        const n = next++;
        if (n >= total) return;
        const user = users[n % users.length]!;
        const started = performance.now();
        const res = await submitCheckout(checkout.graphqlUrl, user, checkoutInput(uniqueName('k')));
        const took = performance.now() - started;
        if (!record) continue;
        const session = res.data?.checkout;
        const status = session?.status ?? `error:${res.errors?.[0]?.extensions?.code ?? 'none'}`;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        latencies.push(took);
        if (session?.completedAt) completedAt.set(session.id, Date.parse(session.completedAt));
      }
    }

    process.stdout.write(`warming up with ${WARMUP} checkouts…\n`);
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(WARMUP, false)));
    next = 0;
    process.stdout.write(
      `running ${CHECKOUTS} checkouts, ${CONCURRENCY} at a time, for ${USERS} shoppers…\n`,
    );
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(CHECKOUTS, true)));
    const seconds = (performance.now() - started) / 1000;

    await waitFor(() => [...completedAt.keys()].every((id) => world.eventsFor(id).length > 0), {
      what: 'every CheckoutCompleted on the topic',
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const eventLags = [...completedAt]
      .map(([id, at]) => world.eventsFor(id)[0]!.receivedAt - at)
      .sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);

    const rows: [string, string][] = [
      ['checkouts', `${latencies.length} in ${seconds.toFixed(2)} s`],
      ['outcomes', [...statuses].map(([s, n]) => `${s} ${n}`).join(', ')],
      ['throughput', `${(latencies.length / seconds).toFixed(1)} checkouts/s`],
      ['mutation latency p50', ms(percentile(latencies, 50))],
      ['mutation latency p99', ms(percentile(latencies, 99))],
      ['mutation latency max', ms(latencies.at(-1) ?? NaN)],
      ['COMPLETED → event p50', ms(percentile(eventLags, 50))],
      ['COMPLETED → event p99', ms(percentile(eventLags, 99))],
      ['COMPLETED → event max', ms(eventLags.at(-1) ?? NaN)],
    ];
    process.stdout.write('\ncheckout benchmark (payment delay 0)\n');
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(24)} ${v}\n`);
  } finally {
    await world.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
