/**
 * `npm run image:report` measures the production image without a Docker engine. It lays out in
 * .local/image/app what the Dockerfile's final stage holds (compiled dist/ over the source
 * layout, production dependencies only, schemas, .proto files, migrations), prints its size
 * next to what the old tsx image carried (sources plus every dependency), then starts each
 * service twice against the running infrastructure (scripts/infra.sh) on free ports: once with
 * plain `node` from the staged image ("after"), once through tsx from the sources ("before").
 * For each start it prints the time from spawn to /health/ready answering 200 and the
 * resident memory after a few idle seconds, and finally sends a product query through the
 * compiled gateway to show the compiled code serves.
 *
 * Production dependencies: the node_modules are copied and `npm prune --omit=dev` removes the
 * devDependencies, the same tree `npm ci --omit=dev` installs, without fetching or rebuilding
 * native modules (the Dockerfile runs `npm ci --omit=dev`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';

const root = path.resolve(__dirname, '..');
const stage = path.join(root, '.local', 'image', 'app');
const IDLE_MS = 3000;
const READY_TIMEOUT_MS = 120_000;

/** Runtime files besides the compiled code, as the Dockerfile copies them. */
const ASSETS = [
  'package.json',
  'package-lock.json',
  'supergraph.graphql',
  'supergraph.yaml',
  'shared/package.json',
  'internal-grpc/package.json',
  'internal-grpc/proto',
  'prisma',
  'shared/src/outbox/outbox.sql',
  'gateway/package.json',
  'deploy/docker/healthcheck.js',
  ...['product', 'cart', 'checkout', 'orders'].flatMap((s) => [
    `subgraphs/${s}/package.json`,
    `subgraphs/${s}/schema.graphql`,
  ]),
];

function sh(cmd: string, args: string[], cwd = root): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function duMb(dir: string, excludes: string[] = []): number {
  const out = sh('du', ['-sk', ...excludes.map((e) => `--exclude=${e}`), dir]);
  return Math.round(Number(out.split('\t')[0]) / 1024);
}

function stageImage(): void {
  console.log('building dist/ (npm run build)');
  sh('npm', ['run', '--silent', 'build']);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const asset of ASSETS) {
    cpSync(path.join(root, asset), path.join(stage, asset), { recursive: true });
  }
  console.log('production dependencies (copy of node_modules, npm prune --omit=dev)');
  cpSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  sh('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], stage);
  cpSync(path.join(root, 'dist'), stage, { recursive: true });
  // the compiled files only: Prisma's prisma.config.ts needs the CLI, a devDependency
  for (const s of ['product', 'checkout', 'orders']) {
    rmSync(path.join(stage, 'prisma', s, 'prisma.config.ts'), { force: true });
  }
}

interface Service {
  name: string;
  entry: string; // without extension, relative to the app root
  env: Record<string, string>;
  healthPort: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function services(run: string): Promise<Service[]> {
  const p = async () => String(await freePort());
  const ports: string[] = await Promise.all(Array.from({ length: 11 }, p));
  const [inv, invH, pay, payH, prod, prodG, cart, cartG, chk, ord, gw] = ports as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const common = {
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    GRPC_HOST: '127.0.0.1',
    KAFKA_BROKERS: '127.0.0.1:9092',
    PRODUCT_GRPC_URL: `127.0.0.1:${prodG}`,
    CART_GRPC_URL: `127.0.0.1:${cartG}`,
    INVENTORY_GRPC_URL: `127.0.0.1:${inv}`,
    PAYMENT_GRPC_URL: `127.0.0.1:${pay}`,
  };
  const svc = (name: string, entry: string, healthPort: string, env: Record<string, string>) => ({
    name,
    entry,
    healthPort: Number(healthPort),
    env: { ...common, ...env },
  });
  return [
    svc('inventory', 'internal-grpc/stubs/inventory/main', invH, {
      GRPC_PORT: inv,
      HTTP_PORT: invH,
    }),
    svc('payment', 'internal-grpc/stubs/payment/main', payH, { GRPC_PORT: pay, HTTP_PORT: payH }),
    svc('product', 'subgraphs/product/src/index', prod, {
      PORT: prod,
      GRPC_PORT: prodG,
      PRODUCT_DATABASE_URL: `file:${path.join(root, '.local', 'image', `product-${run}.db`)}`,
    }),
    svc('cart', 'subgraphs/cart/src/index', cart, {
      PORT: cart,
      GRPC_PORT: cartG,
      MONGO_URL: `mongodb://127.0.0.1:27017/shop_image_${run}`,
      CART_CONSUMER_GROUP: `image-report-cart-${run}`,
    }),
    svc('checkout', 'subgraphs/checkout/src/index', chk, {
      PORT: chk,
      POSTGRES_URL: `postgres://postgres:postgres@127.0.0.1:5432/shop_image_checkout_${run}`,
      RECOVERY_ENABLED: 'false',
    }),
    svc('orders', 'subgraphs/orders/src/index', ord, {
      PORT: ord,
      POSTGRES_URL: `postgres://postgres:postgres@127.0.0.1:5432/shop_image_orders_${run}`,
      CONSUMER_GROUP: `image-report-orders-${run}`,
    }),
    svc('gateway', 'gateway/src/index', gw, {
      PORT: gw,
      PRODUCT_SUBGRAPH_URL: `http://127.0.0.1:${prod}/graphql`,
      CART_SUBGRAPH_URL: `http://127.0.0.1:${cart}/graphql`,
      CHECKOUT_SUBGRAPH_URL: `http://127.0.0.1:${chk}/graphql`,
      ORDERS_SUBGRAPH_URL: `http://127.0.0.1:${ord}/graphql`,
    }),
  ];
}

async function freshDatabases(run: string): Promise<void> {
  const pg = new Client({
    connectionString: 'postgres://postgres:postgres@127.0.0.1:5432/postgres',
  });
  await pg.connect();
  for (const db of [`shop_image_checkout_${run}`, `shop_image_orders_${run}`]) {
    await pg.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await pg.query(`CREATE DATABASE ${db}`);
  }
  await pg.end();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with status ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`not ready within ${READY_TIMEOUT_MS} ms`);
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

interface Measure {
  name: string;
  startMs: number;
  rssMb: number;
}

/** Starts every service in dependency order, measuring each; returns the children, still up. */
async function startAll(
  run: 'after' | 'before',
  list: Service[],
): Promise<{ children: ChildProcess[]; measures: Measure[] }> {
  const children: ChildProcess[] = [];
  const measures: Measure[] = [];
  for (const s of list) {
    const args = run === 'after' ? [`${s.entry}.js`] : ['--import', 'tsx', `${s.entry}.ts`];
    const cwd = run === 'after' ? stage : root;
    const env = {
      ...process.env,
      ...s.env,
      NODE_ENV: run === 'after' ? 'production' : 'development',
      // production refuses the public local JWT secret
      JWT_SECRET: 'image-report-secret-0123456789abcdef0123',
    };
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    try {
      await waitReady(s.healthPort, child);
    } catch (err) {
      throw new Error(`${run}: ${s.name}: ${(err as Error).message}`);
    }
    const startMs = Math.round(performance.now() - t0);
    await sleep(IDLE_MS);
    measures.push({ name: s.name, startMs, rssMb: rssMb(child.pid!) });
  }
  return { children, measures };
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.reverse().map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          const kill = setTimeout(() => c.kill('SIGKILL'), 15_000);
          c.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
}

async function productQuery(gatewayPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
    body: JSON.stringify({ query: '{ products(first: 2) { edges { node { id name } } } }' }),
  });
  const body = (await res.json()) as { errors?: unknown; data?: unknown };
  if (!res.ok || body.errors) throw new Error(`product query failed: ${JSON.stringify(body)}`);
  return JSON.stringify(body.data);
}

async function main(): Promise<void> {
  if (!existsSync(path.join(root, 'node_modules'))) throw new Error('run npm ci first');
  stageImage();
  const imageMb = duMb(stage);
  const beforeMb = ['node_modules', 'shared', 'internal-grpc', 'subgraphs', 'gateway', 'prisma']
    .map((d) => duMb(path.join(root, d)))
    .reduce((a, b) => a + b, 0);
  console.log(
    `\napplication layer: ${imageMb} MB (before: sources + all dependencies ${beforeMb} MB)`,
  );
  console.log('(the base node:24-bookworm-slim image adds about 75 MB uncompressed to both)\n');

  const results: Record<string, Measure[]> = {};
  for (const run of ['after', 'before'] as const) {
    await freshDatabases(run);
    const list = await services(run);
    const { children, measures } = await startAll(run, list);
    results[run] = measures;
    if (run === 'after') {
      const gw = list.find((s) => s.name === 'gateway')!;
      console.log(`compiled gateway answers a product query: ${await productQuery(gw.healthPort)}`);
    }
    await stopAll(children);
  }
  console.log('\nservice     start (spawn -> /health/ready)    idle RSS');
  console.log('            node dist    tsx (before)         node dist    tsx (before)');
  for (const a of results.after!) {
    const b = results.before!.find((m) => m.name === a.name)!;
    console.log(
      `${a.name.padEnd(12)}${`${a.startMs} ms`.padEnd(13)}${`${b.startMs} ms`.padEnd(21)}${`${a.rssMb} MB`.padEnd(13)}${b.rssMb} MB`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
