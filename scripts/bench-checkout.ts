/**
 * `npm run bench:checkout`: how fast the checkout saga runs, and how soon its event follows.
 *
 * Starts in this process, on the infra servers (`bash scripts/infra.sh up`): the product
 * service, a cart service, the inventory stub (plenty of stock) and the payment stub with its
 * simulated delay at 0, a checkout service on a database and Kafka topic of its own, and a
 * consumer on that topic. Fills BENCH_USERS carts (two products each), warms up, then runs
 * BENCH_CHECKOUTS checkouts through the checkout subgraph's GraphQL endpoint, BENCH_CONCURRENCY
 * at a time, each with a fresh idempotency key, after a baseline of the same checkouts one at a
 * time, and prints for both (with the throughput ratio between them):
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
import { ms, percentile } from './benchStats';
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

    /** Runs `total` checkouts, `concurrency` at a time; returns what was measured. */
    async function phase(total: number, concurrency: number) {
      const completedAt = new Map<string, number>();
      const statuses = new Map<string, number>();
      const latencies: number[] = [];
      let next = 0;
      async function worker(): Promise<void> {
        for (;;) {
          const n = next++;
          if (n >= total) return;
          const user = users[n % users.length]!;
          const started = performance.now();
          const res = await submitCheckout(
            checkout.graphqlUrl,
            user,
            checkoutInput(uniqueName('k')),
          );
          latencies.push(performance.now() - started);
          const session = res.data?.checkout;
          const status = session?.status ?? `error:${res.errors?.[0]?.extensions?.code ?? 'none'}`;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (session?.completedAt) completedAt.set(session.id, Date.parse(session.completedAt));
        }
      }
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, () => worker()));
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
      return { total, concurrency, seconds, statuses, latencies, eventLags };
    }

    process.stdout.write(`warming up with ${WARMUP} checkouts…\n`);
    await phase(WARMUP, CONCURRENCY);
    // The baseline is the same saga one at a time: the concurrent run's gain is a ratio to it.
    const baselineCount = Math.max(20, Math.round(CHECKOUTS / 5));
    process.stdout.write(`baseline: ${baselineCount} checkouts one at a time…\n`);
    const baseline = await phase(baselineCount, 1);
    process.stdout.write(
      `running ${CHECKOUTS} checkouts, ${CONCURRENCY} at a time, for ${USERS} shoppers…\n`,
    );
    const loaded = await phase(CHECKOUTS, CONCURRENCY);

    const throughput = (r: typeof loaded) => r.latencies.length / r.seconds;
    process.stdout.write('\ncheckout benchmark (payment delay 0)\n');
    process.stdout.write(
      `  ${'run'.padEnd(16)} ${'checkouts/s'.padStart(11)} ${'p50'.padStart(10)} ${'p99'.padStart(10)}` +
        ` ${'event p50'.padStart(10)} ${'event p99'.padStart(10)}  outcomes\n`,
    );
    for (const r of [baseline, loaded]) {
      process.stdout.write(
        `  ${`concurrency ${r.concurrency}`.padEnd(16)} ${throughput(r).toFixed(1).padStart(11)}` +
          ` ${ms(percentile(r.latencies, 50)).padStart(10)} ${ms(percentile(r.latencies, 99)).padStart(10)}` +
          ` ${ms(percentile(r.eventLags, 50)).padStart(10)} ${ms(percentile(r.eventLags, 99)).padStart(10)}` +
          `  ${[...r.statuses].map(([s, n]) => `${s} ${n}`).join(', ')}\n`,
      );
    }
    process.stdout.write(
      `  throughput at concurrency ${CONCURRENCY} is ${(throughput(loaded) / throughput(baseline)).toFixed(2)}× the one-at-a-time baseline\n` +
        '  (event = COMPLETED → CheckoutCompleted received from the topic)\n',
    );
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
