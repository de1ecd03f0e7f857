/**
 * `npm run bench:tracing`: what OpenTelemetry tracing costs the gateway and the checkout, from
 * one run.
 *
 * Starts the whole platform twice as real processes (test/e2e/platform.ts: every service loaded
 * as scripts/start.sh loads it, `--import shared/src/telemetry/register.ts`, on fresh databases
 * and topics of the infra servers):
 *
 *   on   tracing at the default sampling (OTEL_TRACES_SAMPLER unset: DEFAULT_SAMPLER in
 *        shared/src/telemetry/sdk.ts) and the SDK's default batch delay, spans exported over
 *        OTLP/HTTP to the local Jaeger (OTEL_EXPORTER_OTLP_ENDPOINT, default
 *        http://127.0.0.1:4318) as in production
 *   off  OTEL_SDK_DISABLED=true in every process: the SDK is never loaded
 *
 * and drives both through their gateway in BENCH_ROUNDS interleaved rounds after a warm-up,
 * alternating which stack goes first:
 *
 *   gateway   the public catalog page with autocannon (gateway → product: HTTP server, Express,
 *             GraphQL, the subgraph fetch and the subgraph's own spans), BENCH_CONNECTIONS
 *   checkout  purchases, BENCH_CONCURRENCY at a time: a fresh shopper adds a product to the cart,
 *             views the cart and checks out (gateway → cart, checkout → product, cart, inventory, payment over
 *             gRPC, PostgreSQL, the outbox relay to Kafka, the orders and cart consumers);
 *             completed checkouts per second
 *
 * Prints req/s, p50 and p99 per stack and workload, and the on/off throughput ratio of each.
 * Knobs: BENCH_DURATION (s per run, 5), BENCH_CONNECTIONS (20), BENCH_CONCURRENCY (8),
 * BENCH_ROUNDS (3), BENCH_WARMUP (s, 3); BENCH_TRACES_SAMPLER and BENCH_TRACES_SAMPLER_ARG give
 * the "on" stack another sampler than the default (e.g. the Helm chart's ratio sampling).
 *
 * While it runs, the services of both stacks are listed for Prometheus in
 * .local/prometheus/targets/bench-tracing.json (the `bench` job of
 * observability/prometheus/prometheus.yml), so the dashboard shows the benchmark
 * (`npm run dashboard:snapshot`). Everything shares this machine's cores with the load
 * generator, so only the ratios of one run mean anything.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createKafka } from '@shop/shared';
import { graphqlRequest, infra, testToken, uniqueName } from '@shop/shared/src/testing';
import {
  OTLP_ENDPOINT,
  SERVICE_NAMES,
  startPlatform,
  traceBackendUp,
  type Platform,
  type ServiceName,
} from '../test/e2e/platform';
import { DEFAULT_SAMPLER } from '@shop/shared/src/telemetry/sdk';
import { checkoutInput } from '../subgraphs/checkout/test/world';
import { measure, summarise, type Run } from './bench/autocannonRun';
import { percentile } from './benchStats';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
/** The "on" stack's sampler: unset is the default sampling; e.g. parentbased_traceidratio. */
const SAMPLER = process.env.BENCH_TRACES_SAMPLER ?? '';
const SAMPLER_ARG = process.env.BENCH_TRACES_SAMPLER_ARG ?? '';
const ROOT = path.resolve(__dirname, '..');
const TARGETS_FILE = path.join(ROOT, '.local/prometheus/targets/bench-tracing.json');

const CATALOG = `query CatalogPage { products(first: 20) { edges { node { id name description
  price { amount currencyCode } } } pageInfo { hasNextPage endCursor } } }`;
const ADD = `mutation AddToCart($p: ID!) { addToCart(productId: $p, quantity: 1) { totalQuantity } }`;
const CART = `query CartPage { cart { totalQuantity items { quantity product { name } } } }`;
const CHECKOUT = `mutation Purchase($input: CheckoutInput!) { checkout(input: $input) { id status } }`;

type Mode = 'on' | 'off';
type Workload = 'gateway' | 'checkout';

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Per-service environment of one stack: the tracing switch and benchmark-sized limits. */
function stackEnv(mode: Mode): Partial<Record<ServiceName, Record<string, string>>> {
  const tracing: Record<string, string> =
    mode === 'on'
      ? {
          OTEL_SDK_DISABLED: 'false',
          // platform.ts keeps every span and exports every 500 ms for the e2e tests; empty
          // values mean "unset" to the SDK, so these are the defaults production runs with.
          OTEL_TRACES_SAMPLER: SAMPLER,
          OTEL_TRACES_SAMPLER_ARG: SAMPLER_ARG,
          OTEL_BSP_SCHEDULE_DELAY: '',
        }
      : { OTEL_SDK_DISABLED: 'true' };
  const env: Partial<Record<ServiceName, Record<string, string>>> = {};
  for (const name of SERVICE_NAMES) {
    env[name] = { ...tracing, LOG_LEVEL: 'warn', OTEL_SERVICE_NAME: `bench-${mode}-${name}` };
  }
  env.inventory!.INVENTORY_SEED = '1-50=100000000';
  // Every benchmark request comes from one IP; a shop's come from many.
  env.gateway!.RATE_LIMIT_POINTS = '1000000000';
  return env;
}

/** Lists both stacks' /metrics for the local Prometheus's file-based `bench` job. */
async function announceTargets(stacks: Record<Mode, Platform>): Promise<void> {
  const groups = (Object.entries(stacks) as [Mode, Platform][]).flatMap(([mode, platform]) =>
    // The gRPC stubs serve /metrics only on an HTTP_PORT, which the platform does not give them.
    SERVICE_NAMES.filter((s) => s !== 'inventory' && s !== 'payment').map((service) => ({
      targets: [new URL(platform.metricsUrlOf(service)).host],
      labels: { service, tracing: mode },
    })),
  );
  mkdirSync(path.dirname(TARGETS_FILE), { recursive: true });
  writeFileSync(TARGETS_FILE, `${JSON.stringify(groups, null, 2)}\n`);
}

/** Purchases for `seconds`, `CONCURRENCY` at a time, each by a fresh shopper with one product. */
async function purchases(gatewayUrl: string, seconds: number): Promise<Run> {
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let completed = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async (w: number) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const token = await testToken(uniqueName('bench'));
      const t0 = performance.now();
      const added = await graphqlRequest(gatewayUrl, ADD, { p: String(1 + ((w + n) % 50)) }, token);
      const cart = await graphqlRequest(gatewayUrl, CART, {}, token);
      const res = await graphqlRequest<{ checkout: { status: string } }>(
        gatewayUrl,
        CHECKOUT,
        { input: checkoutInput(uniqueName('bench')) },
        token,
      );
      latencies.push(performance.now() - t0);
      if (!added.errors && !cart.errors && res.data?.checkout.status === 'COMPLETED') completed++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  latencies.sort((a, b) => a - b);
  return {
    requests: completed,
    seconds: (performance.now() - started) / 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non200: 0,
    graphqlErrors: failed,
  };
}

const run = (workload: Workload, platform: Platform, seconds: number) =>
  workload === 'gateway'
    ? measure({ url: platform.gatewayUrl, query: CATALOG, connections: CONNECTIONS, seconds })
    : purchases(platform.gatewayUrl, seconds);

async function main(): Promise<void> {
  if (!(await traceBackendUp())) {
    throw new Error(
      `No OTLP receiver at ${OTLP_ENDPOINT}: start Jaeger with \`bash scripts/infra.sh up\` (tracing on needs somewhere to export to).`,
    );
  }
  const kafka = createKafka({
    clientId: 'bench-tracing',
    brokers: infra.kafkaBrokers,
    logger: pino({ level: 'silent' }),
  });
  const started: Platform[] = [];
  try {
    const sampler = SAMPLER ? `${SAMPLER} ${SAMPLER_ARG}`.trim() : `default ${DEFAULT_SAMPLER}`;
    log(`starting the platform twice: tracing on (${sampler}, OTLP to ${OTLP_ENDPOINT}) and off…`);
    const stacks = {} as Record<Mode, Platform>;
    for (const mode of ['on', 'off'] as const) {
      stacks[mode] = await startPlatform(kafka, { env: stackEnv(mode) });
      started.push(stacks[mode]);
    }
    await announceTargets(stacks);
    const workloads: Workload[] = ['gateway', 'checkout'];
    for (const w of workloads)
      for (const mode of ['on', 'off'] as const) await run(w, stacks[mode], WARMUP);

    const runs = new Map<string, Run[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order: Mode[] = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const w of workloads) {
        for (const mode of order) {
          const r = await run(w, stacks[mode], DURATION);
          runs.set(`${w}/${mode}`, [...(runs.get(`${w}/${mode}`) ?? []), r]);
          log(
            `round ${round + 1} ${w.padEnd(8)} tracing ${mode.padEnd(3)} ${(r.requests / r.seconds).toFixed(1)}/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms`,
          );
        }
      }
    }

    log('');
    log(
      `${ROUNDS} rounds of ${DURATION} s per stack, Node ${process.version}; gateway = catalog page, ` +
        `${CONNECTIONS} connections; checkout = add to cart, view it, check out; ${CONCURRENCY} at a time`,
    );
    log('workload  tracing     per s   p50 ms   p99 ms   failed');
    let failures = 0;
    for (const w of workloads) {
      const s = { on: summarise(runs.get(`${w}/on`)!), off: summarise(runs.get(`${w}/off`)!) };
      for (const mode of ['on', 'off'] as const) {
        const f = s[mode];
        failures += f.non200 + f.graphqlErrors;
        log(
          `${w.padEnd(9)} ${mode.padEnd(8)} ${f.rps.toFixed(1).padStart(8)} ${f.p50.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${String(f.non200 + f.graphqlErrors).padStart(8)}`,
        );
      }
      log(`${w} throughput with tracing on / off: ${(s.on.rps / s.off.rps).toFixed(2)}`);
    }
    if (failures > 0) {
      log(`WARNING: ${failures} requests or purchases failed`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(TARGETS_FILE, { force: true });
    for (const platform of started) await platform.stop();
  }
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
