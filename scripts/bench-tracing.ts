/**
 * `npm run bench:tracing`: what OpenTelemetry tracing costs the gateway, from one run.
 *
 * Starts two identical stacks of real processes, a product subgraph and a gateway in front of
 * it, loaded exactly as scripts/start.sh loads them (`--import shared/src/telemetry/register.ts`):
 *
 *   on   tracing at the default sampling (OTEL_TRACES_SAMPLER unset: DEFAULT_SAMPLER in
 *        shared/src/telemetry/sdk.ts), spans exported over OTLP/HTTP to BENCH_OTLP_ENDPOINT
 *        (default the local Jaeger, http://127.0.0.1:4318) as in production
 *   off  OTEL_SDK_DISABLED=true: the SDK is never loaded
 *
 * and drives the public catalog page (gateway → product, a few spans per request: HTTP server,
 * Express, GraphQL, the subgraph fetch, the subgraph's own spans) with autocannon, in
 * BENCH_ROUNDS interleaved rounds after a warm-up, alternating which stack goes first. Prints
 * req/s, p50 and p99 per stack and the on/off throughput ratio. Knobs: BENCH_DURATION (s per
 * run, 8), BENCH_CONNECTIONS (20), BENCH_ROUNDS (3), BENCH_WARMUP (s, 3).
 *
 * The other subgraphs are not started: the catalog page never reaches them. Everything shares
 * this machine's cores with the load generator, so only the ratio of one run means anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort, graphqlRequest, TEST_JWT_SECRET, waitFor } from '@shop/shared/src/testing';

const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const OTLP = process.env.BENCH_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
const ROOT = path.resolve(__dirname, '..');

const CATALOG = `query CatalogPage { products(first: 20) { edges { node { id name description
  price { amount currencyCode } } } pageInfo { hasNextPage endCursor } } }`;

type Mode = 'on' | 'off';
interface Run {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  failed: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

function startService(
  name: string,
  entry: string,
  env: Record<string, string>,
  dir: string,
): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './shared/src/telemetry/register.ts', entry],
    {
      cwd: ROOT,
      // NODE_ENV=test: the local JWT secret is accepted; log level and everything else alike.
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        JWT_SECRET: TEST_JWT_SECRET,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const chunks: string[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.on('exit', () => writeFileSync(path.join(dir, `${name}.log`), chunks.join('')));
  return child;
}

/** Every child started, so a failed start still stops what it started. */
const children: ChildProcess[] = [];

async function startStack(mode: Mode, dir: string) {
  const productPort = await freePort();
  const gatewayPort = await freePort();
  const unused = `http://127.0.0.1:${await freePort()}/graphql`;
  const tracing: Record<string, string> =
    mode === 'on'
      ? { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: OTLP }
      : { OTEL_SDK_DISABLED: 'true' };
  // The caller's sampler settings would make "default sampling" something else.
  delete process.env.OTEL_TRACES_SAMPLER;
  delete process.env.OTEL_TRACES_SAMPLER_ARG;
  const product = startService(
    `product-${mode}`,
    'subgraphs/product/src/index.ts',
    {
      ...tracing,
      OTEL_SERVICE_NAME: `bench-product-${mode}`,
      PORT: String(productPort),
      GRPC_PORT: String(await freePort()),
      PRODUCT_DATABASE_URL: `file:${path.join(dir, `product-${mode}.db`)}`,
    },
    dir,
  );
  const gateway = startService(
    `gateway-${mode}`,
    'gateway/src/index.ts',
    {
      ...tracing,
      OTEL_SERVICE_NAME: `bench-gateway-${mode}`,
      PORT: String(gatewayPort),
      PRODUCT_SUBGRAPH_URL: `http://127.0.0.1:${productPort}/graphql`,
      CART_SUBGRAPH_URL: unused,
      CHECKOUT_SUBGRAPH_URL: unused,
      ORDERS_SUBGRAPH_URL: unused,
      // Measured: tracing, not the per-client budget (one client sends everything here).
      RATE_LIMIT_ENABLED: 'false',
      SUBSCRIPTIONS_ENABLED: 'false',
    },
    dir,
  );
  children.push(product, gateway);
  const url = `http://127.0.0.1:${gatewayPort}/graphql`;
  await waitFor(
    async () => {
      for (const c of [product, gateway]) {
        if (c.exitCode !== null) throw new Error(`a ${mode} service exited (logs in ${dir})`);
      }
      const res = await graphqlRequest(url, CATALOG).catch(() => undefined);
      return res?.status === 200 && !res.errors;
    },
    { what: `the tracing-${mode} gateway to answer`, timeoutMs: 300_000, intervalMs: 500 },
  );
  return { url };
}

async function measure(url: string, seconds: number): Promise<Run> {
  const body = JSON.stringify({ query: CATALOG });
  let failed = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
          body,
        }),
        onResponse: (status, responseBody) => {
          if (status !== 200 || responseBody.includes('"errors"')) failed++;
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: failed + result.errors + result.timeouts,
  };
}

function summary(runs: Run[]) {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const mean = (f: (r: Run) => number) => runs.reduce((n, r) => n + f(r), 0) / runs.length;
  return {
    rps: requests / seconds,
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    failed: runs.reduce((n, r) => n + r.failed, 0),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-tracing-'));
  const stacks: Partial<Record<Mode, Awaited<ReturnType<typeof startStack>>>> = {};
  try {
    log(`starting product + gateway twice: tracing on (OTLP to ${OTLP}) and off…`);
    stacks.on = await startStack('on', dir);
    stacks.off = await startStack('off', dir);
    for (const mode of ['on', 'off'] as const) await measure(stacks[mode]!.url, WARMUP);
    const runs: Record<Mode, Run[]> = { on: [], off: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Mode[] = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const mode of order) {
        const run = await measure(stacks[mode]!.url, DURATION);
        runs[mode].push(run);
        log(
          `round ${round + 1} tracing ${mode.padEnd(3)} ${(run.requests / run.seconds).toFixed(0)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms`,
        );
      }
    }
    const on = summary(runs.on);
    const off = summary(runs.off);
    log('');
    log(
      `catalog page through the gateway, ${CONNECTIONS} connections, ${ROUNDS}×${DURATION}s each`,
    );
    log('tracing   req/s   p50 ms  p99 ms  failed');
    for (const [mode, s] of [
      ['on', on],
      ['off', off],
    ] as const) {
      log(
        `${mode.padEnd(8)} ${s.rps.toFixed(0).padStart(6)} ${s.p50.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(7)} ${String(s.failed).padStart(7)}`,
      );
    }
    log(`throughput with tracing on / off: ${(on.rps / off.rps).toFixed(2)}`);
    if (on.failed + off.failed > 0) process.exitCode = 1;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
