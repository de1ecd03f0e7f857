/**
 * Everything a checkout crosses, started in this process on the infra servers: the real
 * product service (SQLite catalog, seeded), a cart service (its own MongoDB database), the
 * inventory and payment stubs (payment delay 0), a PostgreSQL database and a Kafka topic of
 * this suite's own, and a consumer reading that topic. Checkout itself runs in-process
 * (`startCheckout`) or as a real child process (`spawnCheckout`, for the SIGKILL tests).
 * Used by the checkout tests and by `npm run bench:checkout`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Consumer, Kafka } from 'kafkajs';
import {
  createInventoryServer,
  createPaymentServer,
  loadInventoryConfig,
  loadPaymentConfig,
  type InventoryServer,
  type PaymentServer,
} from '@shop/internal-grpc/stubs';
import { createProductService, type ProductService } from '@shop/product-subgraph/src/service';
import { loadProductConfig } from '@shop/product-subgraph/src/config';
import { loadCartConfig } from '@shop/cart-subgraph/src/config';
import { createCartService } from '@shop/cart-subgraph/src/service';
import { createKafka, events } from '@shop/shared';
import {
  createTestDatabase,
  graphqlRequest,
  infra,
  TEST_JWT_SECRET,
  testToken,
  uniqueName,
  waitFor,
} from '@shop/shared/src/testing';
import { loadCheckoutConfig } from '../src/config';
import { createCheckoutService, type CheckoutService } from '../src/service';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const logLevel = process.env.TEST_LOG_LEVEL ?? 'silent';
const silent = pino({ level: 'silent' });

export interface ReceivedEvent {
  key: string;
  event: events.CheckoutCompletedV1;
  /** When this process's consumer got it (epoch ms). */
  receivedAt: number;
  /** When the broker appended it to the topic (epoch ms; the topic stamps LogAppendTime). */
  appendedAt: number;
}

export interface World {
  product: ProductService;
  cartGraphqlUrl: string;
  cartGrpcAddress: string;
  inventory: InventoryServer;
  payment: PaymentServer;
  postgresUrl: string;
  topic: string;
  kafka: Kafka;
  /** Every CheckoutCompleted read back from the topic, in arrival order. */
  received: ReceivedEvent[];
  /** Starts reading the topic from the beginning (done at start unless consumeEvents: false). */
  startConsumer(): Promise<void>;
  /** The environment a checkout process needs to use this world. */
  checkoutEnv(extra?: Record<string, string>): Record<string, string>;
  startCheckout(extra?: Record<string, string>): Promise<CheckoutService>;
  spawnCheckout(extra?: Record<string, string>): CheckoutProcess;
  addToCart(userId: string, productId: string, quantity: number): Promise<void>;
  setStock(productId: string, available: number): void;
  available(productId: string): number;
  reserved(productId: string): number;
  eventsFor(checkoutId: string): ReceivedEvent[];
  stop(): Promise<void>;
}

export async function startWorld(
  options: {
    inventorySeed?: string;
    reservationTtlMs?: number;
    /**
     * false: start reading the topic only when `startConsumer` is called. A kafkajs consumer
     * that lives through a broker restart can keep a socket open after disconnect, which keeps
     * Jest from exiting; the Kafka outage test therefore reads the topic after the outage.
     */
    consumeEvents?: boolean;
  } = {},
): Promise<World> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'checkout-world-'));
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const product = await createProductService(
      loadProductConfig({
        PORT: '0',
        GRPC_PORT: '0',
        PRODUCT_DATABASE_URL: `file:${path.join(dir, 'product.db')}`,
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: logLevel,
      }),
    );
    stops.push(product.stop);

    const cartDb = uniqueName('checkout_cart');
    const cart = await createCartService(
      loadCartConfig({
        PORT: '0',
        GRPC_PORT: '0',
        MONGO_URL: `${infra.mongoUrl}/${cartDb}`,
        REDIS_URL: infra.redisUrl,
        PRODUCT_GRPC_URL: product.grpcAddress,
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: logLevel,
        // The cart's checkout-events consumer defaults to the real topic and the real
        // `cart-service` group; a test cart must not join them.
        CART_CONSUMER_ENABLED: 'false',
      }),
    );
    stops.push(async () => {
      await cart.mongoClient
        .db()
        .dropDatabase()
        .catch(() => undefined);
      await cart.stop();
    });

    const inventory = await createInventoryServer(
      loadInventoryConfig({
        GRPC_PORT: '0',
        INVENTORY_SEED: options.inventorySeed ?? '1-30=1000',
        RESERVATION_TTL_MS: String(options.reservationTtlMs ?? 300_000),
        LOG_LEVEL: logLevel,
      }),
      { logger: silent },
    );
    stops.push(inventory.stop);
    const payment = await createPaymentServer(
      loadPaymentConfig({
        GRPC_PORT: '0',
        PAYMENT_DELAY_MIN_MS: '0',
        PAYMENT_DELAY_MAX_MS: '0',
        PAYMENT_SUCCESS_RATE: '1',
        LOG_LEVEL: logLevel,
      }),
      { logger: silent },
    );
    stops.push(payment.stop);

    const db = await createTestDatabase('checkout');
    stops.push(db.drop);

    const kafka = createKafka({
      clientId: 'checkout-test',
      brokers: infra.kafkaBrokers,
      logger: silent,
    });
    const topic = uniqueName('checkout-events-test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      // The broker stamps each message with the time it appended it, so a benchmark can tell
      // "on the topic" from "received by this process's consumer" (bench:checkout prints both).
      topics: [
        {
          topic,
          numPartitions: 3,
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    stops.push(async () => {
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await a.disconnect();
    });

    const received: ReceivedEvent[] = [];
    let consumer: Consumer | undefined;
    const startConsumer = async () => {
      if (consumer) return;
      consumer = kafka.consumer({ groupId: uniqueName('checkout-test') });
      stops.push(() => consumer!.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            key: message.key?.toString() ?? '',
            // The exact contract: a payload that does not parse fails the test loudly.
            event: events.CheckoutCompletedV1.parse(JSON.parse(message.value?.toString() ?? '')),
            receivedAt: Date.now(),
            appendedAt: Number(message.timestamp),
          });
        },
      });
    };
    if (options.consumeEvents !== false) await startConsumer();

    const checkoutEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
      NODE_ENV: 'test',
      PORT: '0',
      LOG_LEVEL: logLevel,
      JWT_SECRET: TEST_JWT_SECRET,
      POSTGRES_URL: db.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      CHECKOUT_EVENTS_TOPIC: topic,
      CART_GRPC_URL: cart.grpcAddress,
      PRODUCT_GRPC_URL: product.grpcAddress,
      INVENTORY_GRPC_URL: inventory.address,
      PAYMENT_GRPC_URL: payment.address,
      RECOVERY_INTERVAL_MS: '500',
      SAGA_LEASE_MS: '3000',
      ...extra,
    });

    return {
      product,
      cartGraphqlUrl: cart.graphqlUrl,
      cartGrpcAddress: cart.grpcAddress,
      inventory,
      payment,
      postgresUrl: db.url,
      topic,
      kafka,
      received,
      startConsumer,
      checkoutEnv,
      async startCheckout(extra = {}) {
        const service = await createCheckoutService(loadCheckoutConfig(checkoutEnv(extra)), {
          logger: pino({ level: logLevel }),
        });
        stops.push(service.stop);
        return service;
      },
      spawnCheckout(extra = {}) {
        const child = spawnCheckoutProcess(checkoutEnv(extra));
        stops.push(() => child.kill());
        return child;
      },
      async addToCart(userId, productId, quantity) {
        const res = await graphqlRequest(
          cart.graphqlUrl,
          'mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { id } }',
          { p: productId, q: quantity },
          await testToken(userId),
        );
        if (res.errors) throw new Error(`addToCart failed: ${JSON.stringify(res.errors)}`);
      },
      setStock(productId, available) {
        inventory.ledger.setAvailable(productId, available);
      },
      available: (productId) => inventory.ledger.getStock([productId])[0]?.available ?? 0,
      reserved: (productId) => inventory.ledger.getStock([productId])[0]?.reserved ?? 0,
      eventsFor: (checkoutId) => received.filter((r) => r.event.checkoutId === checkoutId),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface CheckoutProcess {
  child: ChildProcess;
  /** The GraphQL URL, once the process logged that it is ready. */
  ready: Promise<string>;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
  kill: () => Promise<void>;
}

/**
 * Runs `subgraphs/checkout/src/index.ts` as a real process, as scripts/start.sh does but with
 * tsx as a loader (`node --import tsx`) rather than its CLI: the CLI runs the service in a
 * second process, so a SIGKILL would hit only the wrapper (and the service would report its
 * own SIGKILL as the wrapper's exit code 137).
 */
export function spawnCheckoutProcess(env: Record<string, string>): CheckoutProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/checkout/src/index.ts'], {
    cwd: REPO_ROOT,
    // The child logs at info at least: its "ready" line carries the URL.
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: env.LOG_LEVEL === 'silent' ? 'info' : env.LOG_LEVEL,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let resolveReady!: (url: string) => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /"url":"(http:\/\/[^"]+\/graphql)"[^\n]*checkout subgraph ready/.exec(out);
    if (match?.[1]) resolveReady(match[1]);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      rejectReady(new Error(`checkout process exited (${code ?? signal}) before ready:\n${out}`));
      resolve({ code, signal });
    }),
  );
  return {
    child,
    ready,
    exited,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export const CHECKOUT_MUTATION = /* GraphQL */ `
  mutation Checkout($input: CheckoutInput!) {
    checkout(input: $input) {
      id
      status
      failureCode
      failureReason
      total {
        amount
        currencyCode
      }
      items {
        product {
          id
        }
        productName
        quantity
        unitPrice {
          amount
          currencyCode
        }
      }
      createdAt
      completedAt
    }
  }
`;

export interface SessionData {
  id: string;
  status: string;
  failureCode: string | null;
  failureReason: string | null;
  total: { amount: string; currencyCode: string };
  items: {
    product: { id: string };
    productName: string;
    quantity: number;
    unitPrice: { amount: string; currencyCode: string };
  }[];
  createdAt: string;
  completedAt: string | null;
}

export function checkoutInput(
  idempotencyKey: string,
  overrides: { paymentMethod?: string; name?: string } = {},
) {
  return {
    idempotencyKey,
    shippingAddress: {
      name: overrides.name ?? 'Ada Lovelace',
      line1: '12 Analytical Row',
      city: 'London',
      postalCode: 'NW1 6XE',
      country: 'GB',
    },
    paymentMethod: overrides.paymentMethod ?? 'card_ok',
  };
}

/** Sends the checkout mutation as `userId`. */
export async function submitCheckout(
  url: string,
  userId: string,
  input: ReturnType<typeof checkoutInput>,
) {
  return graphqlRequest<{ checkout: SessionData }>(
    url,
    CHECKOUT_MUTATION,
    { input },
    await testToken(userId),
  );
}

export { waitFor };
