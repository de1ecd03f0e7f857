/**
 * The whole platform as real processes, the way `npm start` runs it, but isolated for a test:
 * free ports, fresh PostgreSQL databases, a fresh MongoDB database, and Kafka topics of its own,
 * so it can run beside anything else on the machine. Each service can be killed and restarted.
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

const ROOT = path.resolve(__dirname, '../..');
/** Loaded before each service's entry, as scripts/start.sh does: OpenTelemetry first. */
const TELEMETRY = './shared/src/telemetry/register.ts';

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

export interface Platform {
  gatewayUrl: string;
  /** Each running subgraph's GraphQL endpoint. */
  subgraphUrls: Record<SubgraphName, string>;
  topics: {
    checkoutEvents: string;
    checkoutEventsDlq: string;
    orderEvents: string;
    orderEventsDlq: string;
  };
  ordersDatabaseUrl: string;
  /** host:port of the gRPC stubs, for tests that look at stock and charges directly. */
  grpc: { inventory: string; payment: string };
  /** Everything the service has written to stdout and stderr so far (pino JSON lines). */
  logOf: (name: ServiceName) => string;
  /** The service's Prometheus text from /metrics (HTTP services only). */
  metricsOf: (name: ServiceName) => Promise<string>;
  /** Where a service serves /metrics (a benchmark lists these for Prometheus). */
  metricsUrlOf: (name: ServiceName) => string;
  /** Sends `signal` to a service and waits for it to exit. */
  kill: (name: ServiceName, signal: NodeJS.Signals) => Promise<void>;
  /**
   * Starts a stopped service again with the same settings (plus `extraEnv` for this run only,
   * e.g. a crash switch) and waits until it is ready.
   */
  start: (name: ServiceName, extraEnv?: Record<string, string>) => Promise<void>;
  /** Resolves when the service's process has exited (e.g. after a crash switch fired). */
  exited: (name: ServiceName) => Promise<void>;
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

  const running = new Map<ServiceName, ChildProcess>();
  const logFile = (name: ServiceName) => path.join(dir, `${name}.log`);

  async function start(name: ServiceName, extraEnv: Record<string, string> = {}): Promise<void> {
    const spec = services[name];
    const log = createWriteStream(logFile(name), { flags: 'a' });
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
    running.set(name, child);
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
          if (!spec.health) return portOpen(spec.port);
          const res = await fetch(spec.health, { signal: AbortSignal.timeout(1000) });
          return res.ok;
        },
        // Generous: seven services each loading TypeScript and OpenTelemetry on a busy two-core
        // machine have taken over a minute to start.
        { what: `${name} to be ready`, timeoutMs: 150_000, intervalMs: 200 },
      );
    } catch (err) {
      const tail = readFileSync(logFile(name), 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`${(err as Error).message}\n--- ${name} log ---\n${tail}`);
    }
  }

  async function kill(name: ServiceName, signal: NodeJS.Signals): Promise<void> {
    const child = running.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    running.delete(name);
  }

  for (const name of SERVICE_NAMES) await start(name);

  return {
    gatewayUrl: `${http(port.gateway)}/graphql`,
    subgraphUrls: {
      product: `${http(port.product)}/graphql`,
      cart: `${http(port.cart)}/graphql`,
      checkout: `${http(port.checkout)}/graphql`,
      orders: `${http(port.orders)}/graphql`,
    },
    topics,
    ordersDatabaseUrl: ordersDb.url,
    grpc: { inventory: `127.0.0.1:${port.inventory}`, payment: `127.0.0.1:${port.payment}` },
    logOf: (name) => readFileSync(logFile(name), 'utf8'),
    metricsOf: async (name) => {
      const res = await fetch(`${http(services[name].port)}/metrics`);
      return res.text();
    },
    metricsUrlOf: (name) => `${http(services[name].port)}/metrics`,
    kill,
    start,
    exited: async (name) => {
      const child = running.get(name);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    },
    stop: async () => {
      for (const name of [...SERVICE_NAMES].reverse()) await kill(name, 'SIGTERM');
      await Promise.all([checkoutDb.drop(), ordersDb.drop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
