/**
 * `npm run bench:gateway`: our gateway against stock `@apollo/gateway` and Hive Gateway, on one
 * host, over the same committed supergraph and the same running subgraphs.
 *
 * Starts every service as a real process on the infra servers (test/e2e/platform.ts: fresh
 * databases and topics), a stock @apollo/gateway (scripts/bench/stockGateway.ts: same package
 * version, default settings) and Hive Gateway (scripts/bench/hiveGateway.ts: installed into the
 * cache on first use), both pointed at the platform's subgraphs through a copy of
 * supergraph.graphql with their URLs. Seeds BENCH_USERS shoppers, each with one order of five
 * products and a cart of five products, then drives each target with autocannon:
 *
 *   catalog  the public catalog page, identical requests: products(first: 20) name, description, price
 *   cart     the cart page of a random one of the shoppers: five lines with product { name price }
 *   orders   order history with items → product: orders subgraph, then product (two hops)
 *   floor    the catalog page sent to the product subgraph directly: no gateway at all
 *   orders-floor  the orders page (products as bare references) sent to the orders subgraph
 *                 directly: the first hop of the orders shape without any gateway
 *
 * in BENCH_ROUNDS interleaved rounds after a warm-up (the order of the gateways rotates per
 * round, so drift on a busy machine weighs on each alike). Every response is checked: non-200
 * statuses and bodies with GraphQL errors are counted and printed. Prints req/s, p50 and p99 per
 * gateway and shape, the ratios to stock and to Hive, the gateway's own overhead over the
 * direct subgraph call, and CPU milliseconds per request (scripts/bench/processCpu.ts) of the
 * gateway itself and of the subgraphs together: on a saturated host req/s moves with whatever
 * else runs, CPU per request is what each gateway costs. Knobs: BENCH_DURATION (s per run,
 * default 8), BENCH_CONNECTIONS (50), BENCH_ROUNDS (3), BENCH_WARMUP (s, 3), BENCH_USERS (200).
 *
 * `BENCH_MODE=edge` (`npm run bench:edge`) instead drives two processes of our gateway over the
 * same subgraphs, identical but for the edge: `on` with the protections at their production
 * defaults (operation limits, demand control, rate limits in Redis, APQ in Redis, breakers;
 * only the rate-limit budget is raised, since every benchmark request comes from one IP, so the
 * limiter is still charged on every request), `off` with limits and cost out of reach, rate
 * limits and persisted queries off; the breakers have no switch and wrap both. It prints each
 * shape's req/s with the protections on as a ratio to off.
 *
 * Everything shares this machine's cores with the load generator, so compare the rows of one
 * run with each other; they are not a capacity estimate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createKafka } from '@shop/shared';
import {
  freePort,
  graphqlRequest,
  infra,
  TEST_JWT_SECRET,
  testToken,
  uniqueName,
  waitFor,
} from '@shop/shared/src/testing';
import { OTLP_ENDPOINT, startPlatform, TELEMETRY } from '../test/e2e/platform';
import { checkoutInput } from '../subgraphs/checkout/test/world';
import { measure as measureOnce, summarise, type Run } from './bench/autocannonRun';
import { cpuSeconds } from './bench/processCpu';
import { ensureHiveGateway, hiveGatewayArgs, HIVE_GATEWAY_VERSION } from './bench/hiveGateway';

const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const USERS = Number(process.env.BENCH_USERS ?? 200);
const ROOT = path.resolve(__dirname, '..');
/**
 * Node flags for our gateway and the product subgraph only, e.g.
 * `BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` for the profile in docs/performance.md.
 */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
/** BENCH_SHAPES=orders limits the shapes driven (a profile of one shape); the floor always runs. */
const SHAPES = (process.env.BENCH_SHAPES ?? 'catalog,cart,orders').split(',');
/** BENCH_TARGETS=ours limits the gateways driven (a profile run needs only ours). */
const TARGETS = (process.env.BENCH_TARGETS ?? 'ours,stock,hive').split(',');
/** `edge`: our gateway with its protections on against the same gateway with them off. */
const EDGE_MODE = process.env.BENCH_MODE === 'edge';

/** The edge at its production defaults; only the budget is out of one IP's reach. */
const EDGE_ON: Record<string, string> = {
  RATE_LIMIT_POINTS: '1000000000',
  ...envFrom('BENCH_ON_ENV'),
};
/** The same gateway with every switchable protection off or out of reach. */
const EDGE_OFF: Record<string, string> = {
  GATEWAY_MAX_DEPTH: '1000000',
  GATEWAY_MAX_NESTING: '1000000',
  GATEWAY_MAX_ALIASES: '1000000',
  GATEWAY_MAX_ROOT_FIELDS: '1000000',
  GATEWAY_MAX_TOKENS: '1000000',
  GATEWAY_MAX_DIRECTIVES: '1000000',
  COST_MAX: '1000000000',
  RATE_LIMIT_ENABLED: 'false',
  PERSISTED_QUERIES: 'off',
};
/**
 * BENCH_OFF_ENV (JSON: variable → value) replaces the "off" gateway's settings, and BENCH_ON_ENV
 * adds to the "on" one's, so `bench:edge` can pair any two settings of our gateway, e.g.
 * BENCH_OFF_ENV='{"RATE_LIMIT_POINTS":"1000000000","OTEL_SDK_DISABLED":"true"}' for tracing's cost.
 */
const EDGE_B: Record<string, string> = process.env.BENCH_OFF_ENV
  ? envFrom('BENCH_OFF_ENV')
  : EDGE_OFF;

function envFrom(variable: string): Record<string, string> {
  const json = process.env[variable];
  if (!json) return {};
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${variable} must be a JSON object of variable names to string values`);
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

const CATALOG = `query CatalogPage { products(first: 20) { edges { node { id name description
  price { amount currencyCode } } } pageInfo { hasNextPage endCursor } } }`;
const CART = `query CartPage { cart { id totalQuantity subtotal { amount currencyCode }
  items { quantity lineTotal { amount } product { id name price { amount currencyCode } } } } }`;
const ORDERS = `query OrderHistory { orders(first: 10) { edges { node { id status total { amount }
  items { quantity unitPrice { amount } product { id name price { amount } } } } } } }`;

/** The orders page as the orders subgraph alone answers it: products as references only. */
const ORDERS_DIRECT = `query OrderHistory { orders(first: 10) { edges { node { id status total { amount }
  items { quantity unitPrice { amount } product { id } } } } } }`;

type Target = 'ours' | 'stock' | 'hive' | 'direct' | 'ordersDirect' | 'on' | 'off';
type Shape = 'catalog' | 'cart' | 'orders' | 'floor' | 'orders-floor';

const measure = (url: string, query: string, tokens: string[] | null, seconds: number) =>
  measureOnce({ url, query, tokens, seconds, connections: CONNECTIONS });

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The committed supergraph with each subgraph's routing URL replaced by the running one. */
function supergraphFor(urls: Record<string, string>, dir: string): string {
  let sdl = readFileSync(path.join(ROOT, 'supergraph.graphql'), 'utf8');
  for (const [name, url] of Object.entries(urls)) {
    const pattern = new RegExp(`(join__graph\\(name: "${name}", url: ")[^"]*(")`);
    if (!pattern.test(sdl)) throw new Error(`supergraph.graphql has no subgraph named ${name}`);
    sdl = sdl.replace(pattern, `$1${url}$2`);
  }
  const file = path.join(dir, 'supergraph.graphql');
  writeFileSync(file, sdl);
  return file;
}

function startProcess(
  name: string,
  args: string[],
  cwd: string,
  dir: string,
  env: Record<string, string> = {},
): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logPath = path.join(dir, `${name}.log`);
  const chunks: string[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.on('exit', () => writeFileSync(logPath, chunks.join('')));
  return child;
}

async function waitForGraphql(name: string, url: string, child?: ChildProcess): Promise<void> {
  await waitFor(
    async () => {
      if (child && child.exitCode !== null)
        throw new Error(`${name} exited with ${child.exitCode}`);
      const res = await graphqlRequest(url, '{ __typename }');
      return res.status === 200;
    },
    { what: `${name} to answer`, timeoutMs: 90_000, intervalMs: 250 },
  );
}

async function seed(gatewayUrl: string): Promise<string[]> {
  const tokens = await Promise.all(
    Array.from({ length: USERS }, (_, i) => testToken(uniqueName(`bench${i}`))),
  );
  const add = `mutation ($p: ID!) { addToCart(productId: $p, quantity: 1) { id } }`;
  const checkout = `mutation ($input: CheckoutInput!) { checkout(input: $input) { id status } }`;
  const fillCart = async (token: string, i: number) => {
    for (let k = 0; k < 5; k++) {
      const res = await graphqlRequest(gatewayUrl, add, { p: String(1 + ((i + k) % 30)) }, token);
      if (res.errors) throw new Error(`seeding a cart failed: ${res.errors[0]?.message}`);
    }
  };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tokens.length; i = next++) {
      const token = tokens[i]!;
      await fillCart(token, i);
      const res = await graphqlRequest<{ checkout: { status: string } }>(
        gatewayUrl,
        checkout,
        { input: checkoutInput(`bench-${i}`) },
        token,
      );
      if (res.data?.checkout.status !== 'COMPLETED') {
        throw new Error(`seeding an order failed: ${JSON.stringify(res.errors ?? res.data)}`);
      }
      await waitFor(
        async () => {
          const r = await graphqlRequest<{ orders: { edges: unknown[] } }>(
            gatewayUrl,
            '{ orders(first: 1) { edges { node { id } } } }',
            {},
            token,
          );
          return (r.data?.orders.edges.length ?? 0) > 0;
        },
        { what: 'the seeded order', timeoutMs: 120_000 },
      );
      await fillCart(token, i + 7);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return tokens;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shop-bench-gateway-'));
  const hiveDir = EDGE_MODE ? '' : ensureHiveGateway(log);
  log(
    'starting every service as a process (inventory, payment, product, cart, checkout, orders, gateway)…',
  );
  const kafka = createKafka({
    clientId: 'bench-gateway',
    brokers: infra.kafkaBrokers,
    logger: pino({ level: 'silent' }),
  });
  const quiet = { LOG_LEVEL: 'warn' };
  const platform = await startPlatform(kafka, {
    env: {
      inventory: { ...quiet, INVENTORY_SEED: '1-50=1000000' },
      payment: quiet,
      product: quiet,
      cart: quiet,
      checkout: quiet,
      orders: quiet,
      // Every benchmark request comes from one IP; a shop's come from many. The limiter stays
      // on and is charged per request, but with a budget the benchmark does not exhaust.
      gateway: { ...quiet, RATE_LIMIT_POINTS: '1000000000' },
    },
    nodeFlags: { gateway: NODE_FLAGS, product: NODE_FLAGS, orders: NODE_FLAGS, cart: NODE_FLAGS },
  });
  const children: ChildProcess[] = [];
  try {
    const supergraph = supergraphFor(platform.subgraphUrls, dir);
    const [stockPort, hivePort] = [await freePort(), await freePort()];
    const urls: Record<Target, string> = {
      ours: platform.gatewayUrl,
      stock: `http://127.0.0.1:${stockPort}/graphql`,
      hive: `http://127.0.0.1:${hivePort}/graphql`,
      direct: platform.subgraphUrls.product,
      ordersDirect: platform.subgraphUrls.orders,
      on: '',
      off: '',
    };
    const pids: Partial<Record<Target, number>> = {
      ours: platform.pidOf('gateway'),
      direct: platform.pidOf('product'),
      ordersDirect: platform.pidOf('orders'),
    };
    if (EDGE_MODE) {
      for (const [target, edge] of [
        ['on', EDGE_ON],
        ['off', EDGE_B],
      ] as const) {
        const port = await freePort();
        const child = startProcess(
          `gateway-${target}`,
          // Tracing loaded as npm start and the platform load it: it is part of the defaults.
          [...NODE_FLAGS, '--import', 'tsx', '--import', TELEMETRY, 'gateway/src/index.ts'],
          ROOT,
          dir,
          {
            ...quiet,
            OTEL_SERVICE_NAME: `gateway-${target}`,
            OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_ENDPOINT,
            ...edge,
            PORT: String(port),
            INTERNAL_PORT: String(await freePort()),
            SUPERGRAPH_PATH: supergraph,
            JWT_SECRET: TEST_JWT_SECRET,
            RATE_LIMIT_PREFIX: uniqueName('bench-rl'),
            PERSISTED_QUERY_PREFIX: uniqueName('bench-apq'),
          },
        );
        children.push(child);
        pids[target] = child.pid;
        urls[target] = `http://127.0.0.1:${port}/graphql`;
        await waitForGraphql(`our gateway, protections ${target}`, urls[target], child);
      }
    } else {
      const stock = startProcess(
        'stock',
        ['--import', 'tsx', 'scripts/bench/stockGateway.ts', supergraph, String(stockPort)],
        ROOT,
        dir,
      );
      const hive = startProcess(
        'hive',
        hiveGatewayArgs(hiveDir, supergraph, hivePort),
        hiveDir,
        dir,
      );
      children.push(stock, hive);
      pids.stock = stock.pid;
      pids.hive = hive.pid;
      await waitForGraphql('stock @apollo/gateway', urls.stock, stock);
      await waitForGraphql(`Hive Gateway ${HIVE_GATEWAY_VERSION}`, urls.hive, hive);
    }

    log(`seeding ${USERS} shoppers (an order and a cart of five products each)…`);
    const tokens = await seed(platform.gatewayUrl);

    const gateways: Target[] = EDGE_MODE
      ? ['on', 'off']
      : (['ours', 'stock', 'hive'] as Target[]).filter((t) => TARGETS.includes(t));
    const all: { shape: Shape; query: string; tokens: string[] | null; targets: Target[] }[] = [
      { shape: 'catalog', query: CATALOG, tokens: null, targets: gateways },
      { shape: 'cart', query: CART, tokens, targets: gateways },
      { shape: 'orders', query: ORDERS, tokens, targets: gateways },
      { shape: 'floor', query: CATALOG, tokens: null, targets: ['direct'] },
      // The first hop of the orders shape on its own: what the orders subgraph serves directly.
      { shape: 'orders-floor', query: ORDERS_DIRECT, tokens, targets: ['ordersDirect'] },
    ];
    const shapes = all.filter(
      (s) => s.shape === 'floor' || SHAPES.includes(s.shape.replace('-floor', '')),
    );
    log(`warm-up: ${WARMUP} s per target and shape`);
    for (const s of shapes)
      for (const t of s.targets) await measure(urls[t], s.query, s.tokens, WARMUP);

    const runs = new Map<string, Run[]>();
    /** CPU seconds the target itself, and the subgraphs together, used in each run. */
    const cpu = new Map<string, { target: number; subgraphs: number }[]>();
    const subgraphPids = (['product', 'cart', 'orders'] as const).map((n) => platform.pidOf(n));
    const cpuNow = (t: Target) => ({
      target: cpuSeconds(pids[t]) ?? NaN,
      subgraphs: subgraphPids.reduce<number>((n, pid) => n + (cpuSeconds(pid) ?? NaN), 0),
    });
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1}/${ROUNDS}`);
      for (const s of shapes) {
        const order = s.targets.map((_, i) => s.targets[(i + round) % s.targets.length]!);
        for (const t of order) {
          const key = `${s.shape}/${t}`;
          const before = cpuNow(t);
          runs.set(key, [
            ...(runs.get(key) ?? []),
            await measure(urls[t], s.query, s.tokens, DURATION),
          ]);
          const after = cpuNow(t);
          cpu.set(key, [
            ...(cpu.get(key) ?? []),
            {
              target: after.target - before.target,
              subgraphs: after.subgraphs - before.subgraphs,
            },
          ]);
        }
      }
    }

    const names: Record<Target, string> = {
      ours: 'ours',
      stock: 'stock @apollo/gateway',
      hive: `Hive Gateway ${HIVE_GATEWAY_VERSION}`,
      direct: 'product subgraph, direct',
      ordersDirect: 'orders subgraph, direct',
      on: 'ours, protections on',
      off: 'ours, protections off',
    };
    log('');
    log(
      `${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s, Node ${process.version}; ` +
        'p50/p99 are the mean of the rounds',
    );
    log(
      'shape        target                     req/s    p50 ms   p99 ms   ×stock  ×hive   non-200  gql-errors  cpu ms/req  subgraphs cpu ms/req',
    );
    const floor = summarise(runs.get('floor/direct')!);
    for (const s of shapes) {
      const stock = s.targets.includes('stock') ? summarise(runs.get(`${s.shape}/stock`)!) : null;
      const hive = s.targets.includes('hive') ? summarise(runs.get(`${s.shape}/hive`)!) : null;
      for (const t of s.targets) {
        const f = summarise(runs.get(`${s.shape}/${t}`)!);
        const used = cpu.get(`${s.shape}/${t}`) ?? [];
        const perRequest = (f2: (u: { target: number; subgraphs: number }) => number) => {
          const ms = (used.reduce((n, u) => n + f2(u), 0) * 1000) / f.requests;
          return Number.isFinite(ms) ? ms.toFixed(2) : '';
        };
        const ratio = (base: { rps: number } | null) =>
          base ? `${(f.rps / base.rps).toFixed(2)}×` : '';
        log(
          [
            s.shape.padEnd(12),
            names[t].padEnd(26),
            f.rps.toFixed(0).padStart(6),
            f.p50.toFixed(1).padStart(9),
            f.p99.toFixed(1).padStart(8),
            ratio(stock).padStart(8),
            ratio(hive).padStart(7),
            String(f.non200).padStart(9),
            String(f.graphqlErrors).padStart(11),
            perRequest((u) => u.target).padStart(11),
            (t === 'direct' || t === 'ordersDirect' ? '' : perRequest((u) => u.subgraphs)).padStart(
              21,
            ),
          ].join(' '),
        );
      }
    }
    if (EDGE_MODE) {
      log('');
      for (const s of shapes.filter((x) => x.targets.includes('on'))) {
        const on = summarise(runs.get(`${s.shape}/on`)!);
        const off = summarise(runs.get(`${s.shape}/off`)!);
        log(`${s.shape}: protections on serve ${(on.rps / off.rps).toFixed(2)}× the req/s of off`);
      }
    }
    const catalogRuns = runs.get(`catalog/${EDGE_MODE ? 'on' : 'ours'}`);
    const ours = catalogRuns ? summarise(catalogRuns) : null;
    log('');
    if (ours)
      log(
        `gateway overhead on the catalog page: ${(ours.p50 - floor.p50).toFixed(1)} ms at p50, ` +
          `${(ours.p99 - floor.p99).toFixed(1)} ms at p99; ${((ours.rps / floor.rps) * 100).toFixed(0)}% ` +
          'of the direct subgraph throughput',
      );
    const failures = [...runs.values()].flat().reduce((n, r) => n + r.non200 + r.graphqlErrors, 0);
    if (failures > 0) {
      log(`WARNING: ${failures} responses failed; the figures above count them as requests`);
      process.exitCode = 1;
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
