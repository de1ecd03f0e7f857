/**
 * `npm run bench:checkout`: how fast the checkout saga runs, and how soon its event follows.
 *
 * Starts, on the infra servers (`bash scripts/infra.sh up`): in this process the product
 * service, a cart service, the inventory stub (plenty of stock), the payment stub with its
 * simulated delay at 0 and a consumer on the checkout topic; and, each in a process of its own
 * as they are deployed, a checkout service on a database and Kafka topic of its own and an
 * orders subgraph consuming that topic (`BENCH_ONE_PROCESS=1` runs both in this process, as
 * the first version of this benchmark did: one event loop for everything then caps the run at
 * one core). Fills BENCH_USERS carts (two products each), warms up, then runs
 * BENCH_CHECKOUTS checkouts through the checkout subgraph's GraphQL endpoint, BENCH_CONCURRENCY
 * at a time, each with a fresh idempotency key, after a baseline of the same checkouts one at a
 * time, and prints for both (with the throughput ratio between them):
 *
 *   checkouts/s and the p50/p99/max latency of the mutation (every one a full saga: cart and
 *   catalog snapshot, session insert, Reserve, Charge, Confirm, COMPLETED + outbox row);
 *   COMPLETED → event on the topic: the session's completedAt to the broker's append time of
 *   its CheckoutCompleted (the topic stamps LogAppendTime; relay woken by NOTIFY, Kafka
 *   produce), and beside it to the moment the consumer in this process received it (add the
 *   consumer's fetch and this process's own load: it also runs product, cart, the stubs and
 *   the load loop);
 *   checkout → order visible: from sending the mutation to the order's `createdAt` as an orders
 *   subgraph (started here on that topic, with a database of its own) returns it for the
 *   session (`CheckoutSession.order`, the shopper's own token): the shopper's wait from "Place
 *   order" to the order in their history. `created_at` is PostgreSQL's now() in the inserting
 *   transaction, which commits (and makes the order readable) right after; reading the time
 *   back rather than polling each checkout keeps the measuring from loading the orders
 *   subgraph (polling every 5 ms per checkout starved its consumer at concurrency 16).
 *
 * A hand-written load loop rather than autocannon: every request needs its own idempotency
 * key and token, and the latency wanted is per checkout. Everything runs on one machine in one
 * process, so the figures describe this setup, not a capacity estimate.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import {
  createTestDatabase,
  freePort,
  graphqlRequest,
  infra,
  TEST_JWT_SECRET,
  testToken,
  uniqueName,
} from '@shop/shared/src/testing';
import { loadOrdersConfig } from '../subgraphs/orders/src/config';
import { createOrdersService } from '../subgraphs/orders/src/service';
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
const ONE_PROCESS = process.env.BENCH_ONE_PROCESS === '1';
const ROOT = path.resolve(__dirname, '..');
/** The orders subgraph's view of checkouts: each one's order once its event has become one. */
const ORDERS_OF_CHECKOUTS = `query ($r: [_Any!]!) {
  _entities(representations: $r) { ... on CheckoutSession { id order { createdAt } } } }`;

async function main(): Promise<void> {
  process.stdout.write('starting product, cart, stubs, checkout, orders and a topic consumer…\n');
  const world = await startWorld({ inventorySeed: '1-30=10000000' });
  let orders: Awaited<ReturnType<typeof startOrders>> | undefined;
  let stopCheckout = async () => undefined as unknown;
  try {
    const checkoutSettings = { RECOVERY_INTERVAL_MS: '5000' };
    const checkout = ONE_PROCESS
      ? await world.startCheckout(checkoutSettings)
      : await (async () => {
          const child = world.spawnCheckout(checkoutSettings);
          // Stopped with SIGTERM, as in production (the world would SIGKILL it): a shutdown
          // that drains, and a CPU profile written when BENCH profiling flags are on.
          stopCheckout = async () => {
            child.child.kill('SIGTERM');
            await child.exited;
          };
          return { graphqlUrl: await child.ready };
        })();
    orders = await startOrders(world);
    const ordersUrl = orders.graphqlUrl;
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
      const sent = new Map<string, { user: string; at: number }>();
      let next = 0;
      async function worker(): Promise<void> {
        for (;;) {
          const n = next++;
          if (n >= total) return;
          const user = users[n % users.length]!;
          const started = performance.now();
          const sentAt = Date.now();
          const res = await submitCheckout(
            checkout.graphqlUrl,
            user,
            checkoutInput(uniqueName('k')),
          );
          latencies.push(performance.now() - started);
          const session = res.data?.checkout;
          const status = session?.status ?? `error:${res.errors?.[0]?.extensions?.code ?? 'none'}`;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (session?.completedAt) {
            completedAt.set(session.id, Date.parse(session.completedAt));
            sent.set(session.id, { user, at: sentAt });
          }
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
        .map(([id, at]) => world.eventsFor(id)[0]!.appendedAt - at)
        .sort((a, b) => a - b);
      const stages = await outboxStages(world.postgresUrl, completedAt);
      const receivedLags = [...completedAt]
        .map(([id, at]) => world.eventsFor(id)[0]!.receivedAt - at)
        .sort((a, b) => a - b);
      latencies.sort((a, b) => a - b);
      const created = await ordersCreatedAt(ordersUrl, sent);
      const orderLags = [...created].map(([id, at]) => at - sent.get(id)!.at).sort((a, b) => a - b);
      const ordersMissing = sent.size - created.size;
      return {
        total,
        concurrency,
        seconds,
        statuses,
        latencies,
        eventLags,
        receivedLags,
        stages,
        orderLags,
        ordersMissing,
      };
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
        ` ${'event p50'.padStart(10)} ${'event p99'.padStart(10)}` +
        ` ${'recv p50'.padStart(10)} ${'recv p99'.padStart(10)}` +
        ` ${'order p50'.padStart(10)} ${'order p99'.padStart(10)}  outcomes\n`,
    );
    for (const r of [baseline, loaded]) {
      process.stdout.write(
        `  ${`concurrency ${r.concurrency}`.padEnd(16)} ${throughput(r).toFixed(1).padStart(11)}` +
          ` ${ms(percentile(r.latencies, 50)).padStart(10)} ${ms(percentile(r.latencies, 99)).padStart(10)}` +
          ` ${ms(percentile(r.eventLags, 50)).padStart(10)} ${ms(percentile(r.eventLags, 99)).padStart(10)}` +
          ` ${ms(percentile(r.receivedLags, 50)).padStart(10)} ${ms(percentile(r.receivedLags, 99)).padStart(10)}` +
          ` ${ms(percentile(r.orderLags, 50)).padStart(10)} ${ms(percentile(r.orderLags, 99)).padStart(10)}` +
          `  ${[...r.statuses].map(([s, n]) => `${s} ${n}`).join(', ')}` +
          `${r.ordersMissing ? `; ${r.ordersMissing} orders not visible within 60 s` : ''}\n`,
      );
    }
    for (const r of [baseline, loaded]) {
      const at = (lags: number[]) => `${ms(percentile(lags, 50))} / ${ms(percentile(lags, 99))}`;
      process.stdout.write(
        `  concurrency ${r.concurrency}, COMPLETED → (p50 / p99): outbox row written ${at(r.stages.written)},` +
          ` relay's batch begun ${at(r.stages.pickedUp)}, on the topic ${at(r.eventLags)}\n`,
      );
    }
    process.stdout.write(
      `  throughput at concurrency ${CONCURRENCY} is ${(throughput(loaded) / throughput(baseline)).toFixed(2)}× the one-at-a-time baseline\n` +
        "  (event = COMPLETED → CheckoutCompleted appended to the topic, the broker's LogAppendTime;\n" +
        '   recv = COMPLETED → received by the consumer in this benchmark process;\n' +
        `   order = checkout sent → the order's createdAt, as the orders subgraph returns it)\n`,
    );
  } finally {
    await orders?.stop();
    await stopCheckout();
    await world.stop();
  }
}

/**
 * Where COMPLETED → event on the topic goes, per checkout, from the checkout database's outbox:
 * `created_at` is the start of the statement that wrote COMPLETED and the row (its commit
 * follows at once), `processed_at` the start of the relay's transaction that published it.
 * Both are PostgreSQL's clock and completedAt the checkout process's: one host, one clock.
 */
async function outboxStages(postgresUrl: string, completedAt: Map<string, number>) {
  const client = new Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ checkout: string; created: number; processed: number }>(
      `SELECT payload->>'checkoutId' AS checkout,
              extract(epoch FROM created_at) * 1000 AS created,
              extract(epoch FROM processed_at) * 1000 AS processed
         FROM outbox_events WHERE payload->>'checkoutId' = ANY($1::text[])`,
      [[...completedAt.keys()]],
    );
    const sorted = (lags: number[]) => lags.sort((a, b) => a - b);
    const since = (row: (typeof rows)[number], at: number) => at - completedAt.get(row.checkout)!;
    return {
      written: sorted(rows.map((row) => since(row, Number(row.created)))),
      pickedUp: sorted(rows.map((row) => since(row, Number(row.processed)))),
    };
  } finally {
    await client.end();
  }
}

/**
 * An orders subgraph consuming the world's checkout topic, as in production, on a database and
 * order-events topic of its own; cancellations are not exercised, so its refunds consumer is off.
 */
async function startOrders(world: Awaited<ReturnType<typeof startWorld>>) {
  const db = await createTestDatabase('bench_orders');
  const orderEvents = uniqueName('order-events-bench');
  const admin = world.kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: orderEvents, numPartitions: 3 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const env = {
    PORT: '0',
    LOG_LEVEL: 'error',
    JWT_SECRET: TEST_JWT_SECRET,
    POSTGRES_URL: db.url,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    CHECKOUT_EVENTS_TOPIC: world.topic,
    CHECKOUT_EVENTS_DLQ_TOPIC: `${orderEvents}-checkout-dlq`,
    ORDER_EVENTS_TOPIC: orderEvents,
    CONSUMER_GROUP: uniqueName('orders-bench'),
    REFUNDS_CONSUMER_ENABLED: 'false',
  };
  const service = ONE_PROCESS
    ? await createOrdersService(loadOrdersConfig(env))
    : await spawnOrders(env);
  return {
    graphqlUrl: service.graphqlUrl,
    async stop() {
      await service.stop();
      const a = world.kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: [orderEvents] }).catch(() => undefined);
      await a.disconnect();
      await db.drop();
    },
  };
}

/** The orders subgraph as its own process (`node --import tsx`, as the tests spawn services). */
async function spawnOrders(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/orders/src/index.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error('the orders subgraph exited during start-up');
      return (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok;
    },
    { what: 'the orders subgraph to be ready', timeoutMs: 60_000, intervalMs: 200 },
  );
  return {
    graphqlUrl: `${base}/graphql`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * When each checkout's order was created (epoch ms), read through the orders subgraph with the
 * shopper's own token: one request per shopper every 200 ms until every order is there or a
 * minute has passed (an order still missing then is counted and printed: it is a finding).
 */
async function ordersCreatedAt(
  ordersUrl: string,
  sent: Map<string, { user: string; at: number }>,
): Promise<Map<string, number>> {
  const created = new Map<string, number>();
  const deadline = Date.now() + 60_000;
  const tokens = new Map<string, string>();
  for (;;) {
    const waiting = new Map<string, string[]>();
    for (const [id, { user }] of sent)
      if (!created.has(id)) waiting.set(user, [...(waiting.get(user) ?? []), id]);
    if (waiting.size === 0 || Date.now() > deadline) return created;
    for (const [user, ids] of waiting) {
      if (!tokens.has(user)) tokens.set(user, await testToken(user));
      const res = await graphqlRequest<{
        _entities: ({ id: string; order: { createdAt: string } | null } | null)[];
      }>(
        ordersUrl,
        ORDERS_OF_CHECKOUTS,
        { r: ids.map((id) => ({ __typename: 'CheckoutSession', id })) },
        tokens.get(user),
      );
      for (const entity of res.data?._entities ?? [])
        if (entity?.order) created.set(entity.id, Date.parse(entity.order.createdAt));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
