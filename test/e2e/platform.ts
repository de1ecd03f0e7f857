/**
 * The whole platform as real processes, the way `npm start` runs it, but isolated for a test:
 * free ports, fresh PostgreSQL databases, a fresh MongoDB database, and Kafka topics of its own,
 * so it can run beside anything else on the machine. Each service can be killed and restarted.
 * With `instances: 2` every subgraph and the gateway run twice (docs/scale-out.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import {
  createTestDatabase,
  freePort,
  infra,
  TEST_JWT_SECRET,
  uniqueName,
  waitFor,
} from '@shop/shared/src/testing';
import { startBalancer, type Balancer } from './balancer';

const ROOT = path.resolve(__dirname, '../..');
/** Loaded before each service's entry, as scripts/start.sh does: OpenTelemetry first. */
/** Loaded with `--import` before every service's entry, as scripts/start.sh does. */
export const TELEMETRY = './shared/src/telemetry/register.ts';

/** Where the services send spans: the local Jaeger's OTLP/HTTP receiver (scripts/infra.sh). */
export const OTLP_ENDPOINT = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';

/** False with SHOP_TRACING=off, the switch that also keeps scripts/infra.sh from starting Jaeger. */
export const tracingWanted = (process.env.SHOP_TRACING ?? '').toLowerCase() !== 'off';

/**
 * Whether the OTLP receiver answers. Services export only then: without a collector every
 * span batch would end in a connection error on stderr, in every e2e test.
 */
export async function traceBackendUp(endpoint = OTLP_ENDPOINT): Promise<boolean> {
  if (!tracingWanted) return false;
  try {
    // Any HTTP answer (an empty POST gets 400) means the receiver is there.
    await fetch(new URL('/v1/traces', endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      signal: AbortSignal.timeout(2000),
    });
    return true;
  } catch {
    return false;
  }
}

export type ServiceName =
  'inventory' | 'payment' | 'product' | 'cart' | 'checkout' | 'orders' | 'gateway';

/** Every service, in the order they start: each after what it calls. */
export const SERVICE_NAMES: readonly ServiceName[] = [
  'inventory',
  'payment',
  'product',
  'cart',
  'checkout',
  'orders',
  'gateway',
];

interface ServiceSpec {
  entry: string;
  port: number;
  /** HTTP readiness URL; the gRPC-only stubs are ready when their port accepts connections. */
  health?: string;
  env: Record<string, string>;
}

export type SubgraphName = 'product' | 'cart' | 'checkout' | 'orders';

/** What runs `instances` times; the stubs keep their state in memory, so they run once. */
const REPLICATED: readonly ServiceName[] = ['product', 'cart', 'checkout', 'orders', 'gateway'];

/**
 * Most functions take an `instance` (default 0, the first). Instances from `instances` on are
 * extras a test may start (a process doomed by a crash switch, say): same settings, ports of
 * their own, gRPC peers of instance 0, reached only directly, never through a balancer.
 */
export interface Platform {
  gatewayUrl: string;
  /** One GraphQL URL per gateway instance; the first is `gatewayUrl`. */
  gatewayUrls: string[];
  /**
   * Each running subgraph's GraphQL endpoint: with several instances, a round-robin balancer
   * in front of them (the gateways use these URLs too).
   */
  subgraphUrls: Record<SubgraphName, string>;
  /** The GraphQL URL of one instance of a subgraph or the gateway, bypassing any balancer. */
  instanceUrl: (name: SubgraphName | 'gateway', instance: number) => string;
  /** Requests each instance of a subgraph answered through its balancer (several instances). */
  served: (name: SubgraphName) => number[];
  topics: {
    checkoutEvents: string;
    checkoutEventsDlq: string;
    orderEvents: string;
    orderEventsDlq: string;
  };
  /** The consumer groups every instance of cart and orders joins. */
  consumerGroups: { cart: string; orders: string };
  checkoutDatabaseUrl: string;
  ordersDatabaseUrl: string;
  /** host:port of the gRPC stubs, for tests that look at stock and charges directly. */
  grpc: { inventory: string; payment: string };
  /** Everything the instance has written to stdout and stderr so far (pino JSON lines). */
  logOf: (name: ServiceName, instance?: number) => string;
  /** The instance's Prometheus text from /metrics (HTTP services only). */
  metricsOf: (name: ServiceName, instance?: number) => Promise<string>;
  /** Where a service serves /metrics (a benchmark lists these for Prometheus). */
  metricsUrlOf: (name: ServiceName) => string;
  /** The process id of a running instance (a benchmark reads its CPU time). */
  pidOf: (name: ServiceName, instance?: number) => number | undefined;
  /** Sends `signal` to a service and waits for it to exit. */
  kill: (name: ServiceName, signal: NodeJS.Signals, instance?: number) => Promise<void>;
  /**
   * Starts a stopped service again with the same settings (plus `extraEnv` for this run only,
   * e.g. a crash switch) and waits until it is ready.
   */
  start: (name: ServiceName, extraEnv?: Record<string, string>, instance?: number) => Promise<void>;
  /** Resolves when the instance's process has exited (e.g. after a crash switch fired). */
  exited: (name: ServiceName, instance?: number) => Promise<void>;
  stop: () => Promise<void>;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface PlatformOptions {
  /** Extra or overriding environment per service (benchmarks quieten logs, raise stock). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Extra node flags per service, e.g. `--cpu-prof` for a benchmark's profile run. */
  nodeFlags?: Partial<Record<ServiceName, string[]>>;
  /**
   * How many instances of each subgraph and of the gateway run at once (default 1), sharing
   * databases, topics, consumer groups and the rate-limit budget.
   */
  instances?: number;
}

export async function startPlatform(
  kafka: Kafka,
  options: PlatformOptions = {},
): Promise<Platform> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shop-e2e-'));
  const [checkoutDb, ordersDb] = await Promise.all([
    createTestDatabase('e2e_checkout'),
    createTestDatabase('e2e_orders'),
  ]);
  const topics = {
    checkoutEvents: uniqueName('e2e-checkout-events'),
    checkoutEventsDlq: uniqueName('e2e-checkout-events-dlq'),
    orderEvents: uniqueName('e2e-order-events'),
    orderEventsDlq: uniqueName('e2e-order-events-dlq'),
  };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: topics.checkoutEvents, numPartitions: 3 },
      { topic: topics.checkoutEventsDlq, numPartitions: 1 },
      { topic: topics.orderEvents, numPartitions: 3 },
      { topic: topics.orderEventsDlq, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();

  const port = {
    inventory: await freePort(),
    payment: await freePort(),
    product: await freePort(),
    productGrpc: await freePort(),
    cart: await freePort(),
    cartGrpc: await freePort(),
    checkout: await freePort(),
    orders: await freePort(),
    gateway: await freePort(),
  };
  const tracing = await traceBackendUp();
  const common = {
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    // Traces go to the local Jaeger (scripts/infra.sh); every span is kept and exported within
    // half a second so a test can read its trace back. Without a receiver (or SHOP_TRACING=off,
    // or OTEL_SDK_DISABLED=true from the caller) the SDK is not started at all.
    OTEL_SDK_DISABLED: tracing ? (process.env.OTEL_SDK_DISABLED ?? 'false') : 'true',
    OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_ENDPOINT,
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    OTEL_BSP_SCHEDULE_DELAY: '500',
  };
  const http = (p: number) => `http://127.0.0.1:${p}`;
  const services: Record<ServiceName, ServiceSpec> = {
    inventory: {
      entry: 'internal-grpc/stubs/inventory/main.ts',
      port: port.inventory,
      env: { GRPC_PORT: String(port.inventory), INVENTORY_SEED: '1-220=100;221-240=0' },
    },
    payment: {
      entry: 'internal-grpc/stubs/payment/main.ts',
      port: port.payment,
      env: {
        GRPC_PORT: String(port.payment),
        PAYMENT_DELAY_MIN_MS: '0',
        PAYMENT_DELAY_MAX_MS: '0',
        PAYMENT_SUCCESS_RATE: '1',
      },
    },
    product: {
      entry: 'subgraphs/product/src/index.ts',
      port: port.product,
      health: `${http(port.product)}/health/ready`,
      env: {
        PORT: String(port.product),
        GRPC_PORT: String(port.productGrpc),
        PRODUCT_DATABASE_URL: `file:${path.join(dir, 'product.db')}`,
        INVENTORY_GRPC_URL: `127.0.0.1:${port.inventory}`,
      },
    },
    cart: {
      entry: 'subgraphs/cart/src/index.ts',
      port: port.cart,
      health: `${http(port.cart)}/health/ready`,
      env: {
        PORT: String(port.cart),
        GRPC_PORT: String(port.cartGrpc),
        MONGO_URL: `${infra.mongoUrl}/${uniqueName('e2e_cart')}`,
        REDIS_URL: infra.redisUrl,
        PRODUCT_GRPC_URL: `127.0.0.1:${port.productGrpc}`,
        CHECKOUT_EVENTS_TOPIC: topics.checkoutEvents,
        CHECKOUT_EVENTS_DLQ_TOPIC: topics.checkoutEventsDlq,
        CART_CONSUMER_GROUP: uniqueName('e2e-cart-service'),
      },
    },
    checkout: {
      entry: 'subgraphs/checkout/src/index.ts',
      port: port.checkout,
      health: `${http(port.checkout)}/health/ready`,
      env: {
        PORT: String(port.checkout),
        POSTGRES_URL: checkoutDb.url,
        CHECKOUT_EVENTS_TOPIC: topics.checkoutEvents,
        PRODUCT_GRPC_URL: `127.0.0.1:${port.productGrpc}`,
        CART_GRPC_URL: `127.0.0.1:${port.cartGrpc}`,
        INVENTORY_GRPC_URL: `127.0.0.1:${port.inventory}`,
        PAYMENT_GRPC_URL: `127.0.0.1:${port.payment}`,
      },
    },
    orders: {
      entry: 'subgraphs/orders/src/index.ts',
      port: port.orders,
      health: `${http(port.orders)}/health/ready`,
      env: {
        PORT: String(port.orders),
        POSTGRES_URL: ordersDb.url,
        CHECKOUT_EVENTS_TOPIC: topics.checkoutEvents,
        CHECKOUT_EVENTS_DLQ_TOPIC: topics.checkoutEventsDlq,
        ORDER_EVENTS_TOPIC: topics.orderEvents,
        ORDER_EVENTS_DLQ_TOPIC: topics.orderEventsDlq,
        CONSUMER_GROUP: uniqueName('e2e-orders-service'),
        REFUNDS_CONSUMER_GROUP: uniqueName('e2e-orders-refunds'),
        PAYMENT_GRPC_URL: `127.0.0.1:${port.payment}`,
        INVENTORY_GRPC_URL: `127.0.0.1:${port.inventory}`,
        // Refusals are retried quickly in tests.
        CONSUMER_RETRY_BACKOFF_MS: '100',
        // A killed member must hand its partitions over quickly when the service comes back.
        CONSUMER_SESSION_TIMEOUT_MS: '6000',
      },
    },
    gateway: {
      entry: 'gateway/src/index.ts',
      port: port.gateway,
      health: `${http(port.gateway)}/health/ready`,
      env: {
        PORT: String(port.gateway),
        PRODUCT_SUBGRAPH_URL: `${http(port.product)}/graphql`,
        CART_SUBGRAPH_URL: `${http(port.cart)}/graphql`,
        CHECKOUT_SUBGRAPH_URL: `${http(port.checkout)}/graphql`,
        ORDERS_SUBGRAPH_URL: `${http(port.orders)}/graphql`,
        ORDER_EVENTS_TOPIC: topics.orderEvents,
      },
    },
  };

  /** Port sets per instance: instance 0's above, the others allocated when first needed. */
  type Ports = typeof port;
  const portSets = new Map<number, Ports>([[0, port]]);
  async function portsOf(instance: number): Promise<Ports> {
    const known = portSets.get(instance);
    if (known) return known;
    // The stubs are shared; everything else gets ports of its own.
    const fresh: Ports = {
      ...port,
      product: await freePort(),
      productGrpc: await freePort(),
      cart: await freePort(),
      cartGrpc: await freePort(),
      checkout: await freePort(),
      orders: await freePort(),
      gateway: await freePort(),
    };
    portSets.set(instance, portSets.get(instance) ?? fresh);
    return portSets.get(instance) as Ports;
  }
  const instances = options.instances ?? 1;
  const instanceIds = Array.from({ length: instances }, (_, i) => i);
  for (const i of instanceIds) await portsOf(i);

  /**
   * Instance `instance` of a service: instance 0's settings (databases, topics, consumer
   * groups) on ports of its own, with the gRPC peers (product, cart) of the same instance, or
   * of instance 0 for an extra one.
   */
  async function specOf(name: ServiceName, instance: number): Promise<ServiceSpec> {
    const spec = services[name];
    if (instance === 0) return spec;
    if (!REPLICATED.includes(name)) throw new Error(`${name} runs once: it keeps state in memory`);
    const own = await portsOf(instance);
    const peers = instance < instances ? own : port;
    const httpPort = own[name as Exclude<ServiceName, 'inventory' | 'payment'>];
    const env: Record<string, string> = { ...spec.env, PORT: String(httpPort) };
    if (env.GRPC_PORT) env.GRPC_PORT = String(name === 'product' ? own.productGrpc : own.cartGrpc);
    if (env.PRODUCT_GRPC_URL) env.PRODUCT_GRPC_URL = `127.0.0.1:${peers.productGrpc}`;
    if (env.CART_GRPC_URL) env.CART_GRPC_URL = `127.0.0.1:${peers.cartGrpc}`;
    return { ...spec, port: httpPort, health: `${http(httpPort)}/health/ready`, env };
  }

  // Several instances: every gateway reaches each subgraph through one round-robin balancer.
  const subgraphNames: SubgraphName[] = ['product', 'cart', 'checkout', 'orders'];
  const balancers = new Map<SubgraphName, Balancer>();
  if (instances > 1) {
    for (const name of subgraphNames) {
      const balancer = await startBalancer(instanceIds.map((i) => portSets.get(i)![name]));
      balancers.set(name, balancer);
      services.gateway.env[`${name.toUpperCase()}_SUBGRAPH_URL`] = `${balancer.url}/graphql`;
    }
  }

  const running = new Map<string, ChildProcess>();
  const key = (name: ServiceName, instance: number) => `${name}#${instance}`;
  const logFile = (name: ServiceName, instance = 0) =>
    path.join(dir, instance === 0 ? `${name}.log` : `${name}-${instance}.log`);

  async function start(
    name: ServiceName,
    extraEnv: Record<string, string> = {},
    instance = 0,
  ): Promise<void> {
    const spec = await specOf(name, instance);
    const log = createWriteStream(logFile(name, instance), { flags: 'a' });
    // One node process per service (not the tsx CLI, which forks): a signal reaches the service.
    const flags = options.nodeFlags?.[name] ?? [];
    const child = spawn(
      process.execPath,
      [...flags, '--import', 'tsx', '--import', TELEMETRY, spec.entry],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ...common,
          OTEL_SERVICE_NAME: name,
          ...spec.env,
          NODE_ENV: 'test',
          ...options.env?.[name],
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    running.set(key(name, instance), child);
    const label = instance === 0 ? name : `${name} #${instance}`;
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}`);
          if (!spec.health) return portOpen(spec.port);
          const res = await fetch(spec.health, { signal: AbortSignal.timeout(1000) });
          return res.ok;
        },
        // Generous: seven services each loading TypeScript and OpenTelemetry on a busy two-core
        // machine have taken over a minute to start.
        { what: `${label} to be ready`, timeoutMs: 150_000, intervalMs: 200 },
      );
    } catch (err) {
      const tail = readFileSync(logFile(name, instance), 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`${(err as Error).message}\n--- ${label} log ---\n${tail}`);
    }
  }

  async function exited(name: ServiceName, instance = 0): Promise<void> {
    const child = running.get(key(name, instance));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  }

  async function kill(name: ServiceName, signal: NodeJS.Signals, instance = 0): Promise<void> {
    const child = running.get(key(name, instance));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exit = exited(name, instance);
    child.kill(signal);
    await exit;
    running.delete(key(name, instance));
  }

  // The instances of one service start together, as replicas of a deployment do (migrations
  // must cope); the services one after the other, since each needs the ones before it.
  try {
    for (const name of SERVICE_NAMES) {
      const ids = REPLICATED.includes(name) ? instanceIds : [0];
      await Promise.all(ids.map((i) => start(name, {}, i)));
    }
  } catch (err) {
    // A platform that failed to start must not outlive the test: its children would keep Jest
    // (and CI) from ever exiting.
    for (const child of running.values()) child.kill('SIGKILL');
    await Promise.all([...balancers.values()].map((b) => b.close()));
    throw err;
  }
  const instanceUrl = (name: SubgraphName | 'gateway', instance: number) => {
    const set = portSets.get(instance);
    if (!set) throw new Error(`instance ${instance} of ${name} was never started`);
    return `${http(set[name])}/graphql`;
  };

  return {
    gatewayUrl: `${http(port.gateway)}/graphql`,
    gatewayUrls: instanceIds.map((i) => instanceUrl('gateway', i)),
    subgraphUrls: {
      product: `${balancers.get('product')?.url ?? http(port.product)}/graphql`,
      cart: `${balancers.get('cart')?.url ?? http(port.cart)}/graphql`,
      checkout: `${balancers.get('checkout')?.url ?? http(port.checkout)}/graphql`,
      orders: `${balancers.get('orders')?.url ?? http(port.orders)}/graphql`,
    },
    instanceUrl,
    served: (name) => balancers.get(name)?.served ?? [],
    topics,
    consumerGroups: {
      cart: services.cart.env.CART_CONSUMER_GROUP as string,
      orders: services.orders.env.CONSUMER_GROUP as string,
    },
    checkoutDatabaseUrl: checkoutDb.url,
    ordersDatabaseUrl: ordersDb.url,
    grpc: { inventory: `127.0.0.1:${port.inventory}`, payment: `127.0.0.1:${port.payment}` },
    logOf: (name, instance = 0) => readFileSync(logFile(name, instance), 'utf8'),
    metricsOf: async (name, instance = 0) => {
      const res = await fetch(`${http((await specOf(name, instance)).port)}/metrics`);
      return res.text();
    },
    metricsUrlOf: (name) => `${http(services[name].port)}/metrics`,
    pidOf: (name, instance = 0) => running.get(key(name, instance))?.pid,
    kill,
    start,
    exited,
    stop: async () => {
      for (const name of [...SERVICE_NAMES].reverse()) {
        const ids = [...running.keys()].filter((k) => k.startsWith(`${name}#`));
        await Promise.all(ids.map((k) => kill(name, 'SIGTERM', Number(k.split('#')[1]))));
      }
      await Promise.all([...balancers.values()].map((b) => b.close()));
      await Promise.all([checkoutDb.drop(), ordersDb.drop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
