/**
 * `npm run bench:subscriptions`: order-status subscriptions at scale (issue 13).
 *
 * Starts, on the infra servers (`bash scripts/infra.sh up`), the orders subgraph and the gateway
 * as child processes (so the gateway's memory and CPU are its own), on a database and Kafka
 * topics of their own. Creates BENCH_ORDERS orders, opens BENCH_SUBSCRIBERS graphql-ws clients
 * (one socket and one subscription each, spread evenly over the orders, each as the order's
 * owner), then moves every followed order through three status changes, one round at a time,
 * and prints:
 *
 *   messages delivered of those expected (every subscriber, every change);
 *   status change → message p50/p99: the order's updatedAt (the commit) to the client's receipt;
 *   gateway memory per subscriber: RSS and heap growth over the idle subscribers;
 *   query and mutation p99 (through the gateway) during the fan-out, beside the same load
 *   without it.
 *
 * BENCH_CPU_PROF=1 writes V8 CPU profiles of the gateway and the orders subgraph into .local/profiles/ (open it in
 * Chrome DevTools or speedscope). Everything runs on one machine; the figures describe it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createKafka, createLogger, events, Topics } from '@shop/shared';
import {
  createTestDatabase,
  freePort,
  graphqlRequest,
  infra,
  TEST_JWT_SECRET,
  testToken,
  uniqueName,
  waitFor,
} from '@shop/shared/src/testing';
import { ms, percentile as sortedPercentile } from './benchStats';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 100);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const ROUNDS = ['PROCESSING', 'SHIPPED', 'DELIVERED'] as const;
/** Background load: this many query loops and one mutation loop, through the gateway. */
const QUERY_WORKERS = Number(process.env.BENCH_QUERY_WORKERS ?? 4);
const BASELINE_MS = Number(process.env.BENCH_BASELINE_MS ?? 5000);
const ROOT = path.resolve(__dirname, '..');

const SUBSCRIPTION = `subscription Follow($id: ID!) {
  orderStatusChanged(orderId: $id) { id status version updatedAt items { productName quantity } }
}`;
const ORDER_QUERY = `query($id: ID!) { order(id: $id) { id status version total { amount } items { productName quantity } } }`;
const UPDATE = `mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { version updatedAt } }`;

const percentile = (values: number[], p: number) =>
  sortedPercentile(
    [...values].sort((a, b) => a - b),
    p,
  );
const say = (line: string) => process.stdout.write(`${line}\n`);

function startProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ENV: 'development', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (code && code !== 0) say(`${name} exited with ${code ?? signal}`);
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function metric(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
}

/** Cumulative bucket counts of one histogram series: upper bound (s) → count. */
async function histogramBuckets(
  metricsUrl: string,
  name: string,
  label: string,
): Promise<Map<number, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const buckets = new Map<number, number>();
  for (const [, labels, count] of text.matchAll(
    new RegExp(`^${name}_bucket\\{([^}]*)\\} ([0-9.e+]+)`, 'gm'),
  )) {
    if (!labels!.split(',').includes(label)) continue;
    const le = /le="([^"]+)"/.exec(labels!)?.[1];
    buckets.set(le === '+Inf' ? Infinity : Number(le), Number(count));
  }
  return buckets;
}

/**
 * The p-th percentile of what a histogram observed between two scrapes, interpolated inside
 * its bucket as Prometheus's histogram_quantile does: as precise as the buckets, no more.
 */
function bucketPercentile(before: Map<number, number>, after: Map<number, number>, p: number) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total === 0) return NaN;
  const rank = (p / 100) * total;
  let lower = 0;
  let below = 0;
  for (const [i, le] of bounds.entries()) {
    const count = counts[i]!;
    if (count >= rank) {
      if (le === Infinity) return lower * 1000;
      return (lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1)) * 1000;
    }
    lower = le;
    below = count;
  }
  return NaN;
}

/** CPU seconds (user + system) a child process has used so far, from /proc (Linux). */
function childCpuSeconds(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat; fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const STAGES = ['published', 'received', 'read'] as const;
const READ_PHASES = ['queued', 'executing'] as const;

async function main(): Promise<void> {
  const kafka = createKafka({
    clientId: 'bench-subscriptions',
    brokers: infra.kafkaBrokers,
    logger: createLogger('bench-subscriptions', 'warn'),
  });
  const topics = {
    checkout: uniqueName(Topics.checkoutEvents),
    dlq: uniqueName(Topics.checkoutEventsDlq),
    order: uniqueName(Topics.orderEvents),
  };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: topics.checkout, numPartitions: 3 },
      { topic: topics.dlq, numPartitions: 1 },
      { topic: topics.order, numPartitions: 3 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const db = await createTestDatabase('bench_subs');
  const [ordersPort, gatewayPort] = [await freePort(), await freePort()];
  const common = { JWT_SECRET: TEST_JWT_SECRET, KAFKA_BROKERS: infra.kafkaBrokers.join(',') };
  say('starting the orders subgraph and the gateway…');
  const profileDir = path.join(ROOT, '.local', 'profiles');
  if (process.env.BENCH_CPU_PROF) mkdirSync(profileDir, { recursive: true });
  const profileArgs = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
    : [];
  const orders = startProcess(
    'orders',
    'subgraphs/orders/src/index.ts',
    {
      ...common,
      PORT: String(ordersPort),
      POSTGRES_URL: db.url,
      CHECKOUT_EVENTS_TOPIC: topics.checkout,
      CHECKOUT_EVENTS_DLQ_TOPIC: topics.dlq,
      ORDER_EVENTS_TOPIC: topics.order,
      CONSUMER_GROUP: uniqueName('bench-orders'),
    },
    profileArgs,
  );
  const gatewayProcess = startProcess(
    'gateway',
    'gateway/src/index.ts',
    {
      ...common,
      PORT: String(gatewayPort),
      ORDERS_SUBGRAPH_URL: `http://127.0.0.1:${ordersPort}/graphql`,
      ORDER_EVENTS_TOPIC: topics.order,
      WS_MAX_CONNECTIONS_PER_USER: String(Math.ceil(SUBSCRIBERS / ORDERS) + 5),
    },
    profileArgs,
  );
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
  const metricsUrl = `http://127.0.0.1:${gatewayPort}/metrics`;
  const producer = kafka.producer();
  const clients: Client[] = [];
  try {
    await waitFor(
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${gatewayPort}/health/ready`)).ok;
        } catch {
          return false;
        }
      },
      { what: 'the gateway to be ready', timeoutMs: 60_000, intervalMs: 250 },
    );
    await producer.connect();
    const adminToken = await testToken('bench-staff', { scope: 'admin' });

    // Followed orders (one per owner) and load orders (for the mutation loops, never followed).
    const owners = Array.from({ length: ORDERS }, () => uniqueName('owner'));
    // Two load owners: a page of `orders` holds at most 100.
    const loadOwners = [uniqueName('load'), uniqueName('load')];
    const checkoutOf = new Map<string, string>();
    const completed = (user: string): events.CheckoutCompletedV1 => {
      const checkoutId = crypto.randomUUID();
      checkoutOf.set(checkoutId, user);
      return {
        eventId: crypto.randomUUID(),
        eventType: 'CheckoutCompleted',
        version: 1,
        occurredAt: new Date().toISOString(),
        checkoutId,
        userId: user,
        items: [
          { productId: '1', name: 'Laptop', quantity: 1, unitPrice: '1299.99' },
          { productId: '2', name: 'Mouse', quantity: 2, unitPrice: '29.99' },
        ],
        total: '1359.97',
        currency: 'USD',
      };
    };
    const LOAD_ORDERS = 200;
    const checkoutEvents = [
      ...owners.map(completed),
      ...Array.from({ length: LOAD_ORDERS }, (_, i) => completed(loadOwners[i % 2]!)),
    ];
    await producer.send({
      topic: topics.checkout,
      messages: checkoutEvents.map((e) => ({ key: e.userId, value: JSON.stringify(e) })),
    });
    say(`creating ${ORDERS} followed orders and ${LOAD_ORDERS} for the background load…`);
    const tokens = new Map<string, string>();
    for (const user of [...owners, ...loadOwners]) tokens.set(user, await testToken(user));
    const orderOf = new Map<string, string>();
    const loadOrders: string[] = [];
    await waitFor(
      async () => {
        for (const user of owners) {
          if (orderOf.has(user)) continue;
          const res = await graphqlRequest<{ orders: { edges: { node: { id: string } }[] } }>(
            gatewayUrl,
            '{ orders(first: 1) { edges { node { id } } } }',
            {},
            tokens.get(user)!,
          );
          const id = res.data?.orders.edges[0]?.node.id;
          if (id) orderOf.set(user, id);
        }
        const pages = await Promise.all(
          loadOwners.map((owner) =>
            graphqlRequest<{ orders: { edges: { node: { id: string } }[] } }>(
              gatewayUrl,
              '{ orders(first: 100) { edges { node { id } } } }',
              {},
              tokens.get(owner)!,
            ),
          ),
        );
        loadOrders.splice(
          0,
          loadOrders.length,
          ...pages.flatMap((res) => (res.data?.orders.edges ?? []).map((e) => e.node.id)),
        );
        return orderOf.size === ORDERS && loadOrders.length === LOAD_ORDERS;
      },
      { what: 'every order', timeoutMs: 120_000, intervalMs: 500 },
    );

    /** Query loops and one mutation loop until `until` resolves; their latencies. */
    async function backgroundLoad(until: Promise<unknown>, mutationOrders: string[]) {
      let done = false;
      void until.then(() => (done = true));
      const queries: number[] = [];
      const mutations: number[] = [];
      const queryLoop = async (n: number) => {
        for (let i = n; !done; i += QUERY_WORKERS) {
          const user = owners[i % owners.length]!;
          const started = performance.now();
          const res = await graphqlRequest(
            gatewayUrl,
            ORDER_QUERY,
            { id: orderOf.get(user) },
            tokens.get(user)!,
          );
          if (res.errors) throw new Error(`query failed: ${JSON.stringify(res.errors)}`);
          queries.push(performance.now() - started);
        }
      };
      const mutationLoop = async () => {
        const steps = mutationOrders.flatMap((id) => ROUNDS.map((s) => ({ id, s })));
        // One order's steps in sequence, orders interleaved; paced so the loop lasts.
        steps.sort((a, b) => ROUNDS.indexOf(a.s) - ROUNDS.indexOf(b.s));
        for (const step of steps) {
          if (done) return;
          const started = performance.now();
          const res = await graphqlRequest(gatewayUrl, UPDATE, step, adminToken);
          if (res.errors) throw new Error(`mutation failed: ${JSON.stringify(res.errors)}`);
          mutations.push(performance.now() - started);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await Promise.all([
        ...Array.from({ length: QUERY_WORKERS }, (_, n) => queryLoop(n)),
        mutationLoop(),
      ]);
      return { queries, mutations };
    }

    // Warm the gateway's plans and connections, then the baseline: the same load, no fan-out.
    await backgroundLoad(new Promise((r) => setTimeout(r, 1500)), loadOrders.slice(0, 20));
    say(`baseline: queries and mutations for ${BASELINE_MS} ms without subscribers…`);
    const baseline = await backgroundLoad(
      new Promise((r) => setTimeout(r, BASELINE_MS)),
      loadOrders.slice(20, 110),
    );

    const rssBefore = await metric(metricsUrl, 'process_resident_memory_bytes');
    const heapBefore = await metric(metricsUrl, 'nodejs_heap_size_used_bytes');
    say(`opening ${SUBSCRIBERS} graphql-ws subscribers on ${ORDERS} orders…`);
    const latencies: number[] = [];
    const lastVersion = new Array<number>(SUBSCRIBERS).fill(1);
    let delivered = 0;
    let outOfOrder = 0;
    let errors = 0;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const owner = owners[i % ORDERS]!;
      const client = createClient({
        url: gatewayUrl.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${tokens.get(owner)}` },
        retryAttempts: 0,
        lazy: false,
      });
      clients.push(client);
      client.subscribe<{ orderStatusChanged: { version: number; updatedAt: string } }>(
        { query: SUBSCRIPTION, variables: { id: orderOf.get(owner) } },
        {
          next: (message) => {
            const order = message.data?.orderStatusChanged;
            if (!order) {
              errors++;
              return;
            }
            latencies.push(Date.now() - Date.parse(order.updatedAt));
            if (order.version <= lastVersion[i]!) outOfOrder++;
            lastVersion[i] = order.version;
            delivered++;
          },
          error: () => void errors++,
          complete: () => undefined,
        },
      );
    }
    await waitFor(
      async () => (await metric(metricsUrl, 'gateway_order_subscriptions')) === SUBSCRIBERS,
      {
        what: 'every subscription listening',
        timeoutMs: 120_000,
        intervalMs: 250,
      },
    );
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfter = await metric(metricsUrl, 'process_resident_memory_bytes');
    const heapAfter = await metric(metricsUrl, 'nodejs_heap_size_used_bytes');

    say(`fan-out: ${ROUNDS.length} rounds of ${ORDERS} status changes, with the same load beside…`);
    const stageName = 'gateway_subscription_stage_seconds';
    const stagesBefore = await Promise.all(
      STAGES.map((stage) => histogramBuckets(metricsUrl, stageName, `stage="${stage}"`)),
    );
    const readName = 'gateway_subscription_read_seconds';
    const readsBefore = await Promise.all(
      READ_PHASES.map((phase) => histogramBuckets(metricsUrl, readName, `phase="${phase}"`)),
    );
    const cpuBefore = {
      bench: process.cpuUsage(),
      gateway: childCpuSeconds(gatewayProcess),
      orders: childCpuSeconds(orders),
    };
    const fanOutStarted = performance.now();
    const fanOut = (async () => {
      for (const [round, status] of ROUNDS.entries()) {
        const ids = [...orderOf.values()];
        let next = 0;
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            while (next < ids.length) {
              const id = ids[next++]!;
              const res = await graphqlRequest(gatewayUrl, UPDATE, { id, s: status }, adminToken);
              if (res.errors)
                throw new Error(`status change failed: ${JSON.stringify(res.errors)}`);
            }
          }),
        );
        await waitFor(() => lastVersion.every((v) => v >= round + 2), {
          what: `round ${round + 1} delivered`,
          timeoutMs: 60_000,
          intervalMs: 20,
        }).catch(() => say(`  round ${round + 1}: not every subscriber got it within 60 s`));
      }
    })();
    const during = await backgroundLoad(fanOut, loadOrders.slice(110));
    await fanOut;
    const fanOutSeconds = (performance.now() - fanOutStarted) / 1000;
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    const cpu = {
      bench: (benchCpu.user + benchCpu.system) / 1e6,
      gateway: childCpuSeconds(gatewayProcess) - cpuBefore.gateway,
      orders: childCpuSeconds(orders) - cpuBefore.orders,
    };
    const stagesAfter = await Promise.all(
      STAGES.map((stage) => histogramBuckets(metricsUrl, stageName, `stage="${stage}"`)),
    );
    const readsAfter = await Promise.all(
      READ_PHASES.map((phase) => histogramBuckets(metricsUrl, readName, `phase="${phase}"`)),
    );
    await new Promise((r) => setTimeout(r, 1000)); // late duplicates would show here

    const expected = SUBSCRIBERS * ROUNDS.length;
    say('\nsubscription benchmark');
    say(
      `  messages delivered      ${delivered} of ${expected}${delivered === expected ? ' (all)' : ''}; out of order ${outOfOrder}; errors ${errors}`,
    );
    say(
      `  change → message        p50 ${ms(percentile(latencies, 50))}  p99 ${ms(percentile(latencies, 99))}  max ${ms(percentile(latencies, 100))}`,
    );
    for (const [i, stage] of STAGES.entries()) {
      const [before, after] = [stagesBefore[i]!, stagesAfter[i]!];
      say(
        `    commit → ${stage.padEnd(10)}  p50 ${ms(bucketPercentile(before, after, 50))}  p99 ${ms(bucketPercentile(before, after, 99))}  (gateway histogram, per group and change)`,
      );
    }
    for (const [i, phase] of READ_PHASES.entries()) {
      const [before, after] = [readsBefore[i]!, readsAfter[i]!];
      say(
        `      a read ${phase.padEnd(10)}  p50 ${ms(bucketPercentile(before, after, 50))}  p99 ${ms(bucketPercentile(before, after, 99))}`,
      );
    }
    say(
      `    commit → client      p50 ${ms(percentile(latencies, 50))}  p99 ${ms(percentile(latencies, 99))}  (measured by the clients)`,
    );
    say(
      `  CPU during the fan-out  ${fanOutSeconds.toFixed(1)} s wall: gateway ${cpu.gateway.toFixed(1)} s, orders ${cpu.orders.toFixed(1)} s, benchmark clients and load ${cpu.bench.toFixed(1)} s; load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    say(
      `  gateway memory          ${((rssAfter - rssBefore) / SUBSCRIBERS / 1024).toFixed(1)} KiB RSS, ${((heapAfter - heapBefore) / SUBSCRIBERS / 1024).toFixed(1)} KiB heap per subscriber`,
    );
    say(
      `  query p99               ${ms(percentile(during.queries, 99))} during the fan-out, ${ms(percentile(baseline.queries, 99))} without (${(percentile(during.queries, 99) / percentile(baseline.queries, 99)).toFixed(2)}×; ${during.queries.length} / ${baseline.queries.length} queries)`,
    );
    say(
      `  mutation p99            ${ms(percentile(during.mutations, 99))} during the fan-out, ${ms(percentile(baseline.mutations, 99))} without (${(percentile(during.mutations, 99) / percentile(baseline.mutations, 99)).toFixed(2)}×; ${during.mutations.length} / ${baseline.mutations.length} mutations)`,
    );
    say(
      `  supergraph reads        ${await metric(metricsUrl, 'gateway_subscription_reads_total{outcome="ok"}')} for ${ORDERS * ROUNDS.length} changes and ${SUBSCRIBERS} subscriptions`,
    );
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await producer.disconnect().catch(() => undefined);
    await stopProcess(gatewayProcess);
    await stopProcess(orders);
    await db.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
