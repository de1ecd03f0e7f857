import { z } from 'zod';
import {
  refuseCrashSwitchOutsideTests,
  env,
  loadConfig,
  subgraphServerConfig,
  subgraphServerEnv,
  type SubgraphServerConfig,
  Topics,
} from '@shop/shared';

/**
 * Where a test may ask the process to SIGKILL itself (CHECKOUT_CRASH_AT), to prove that
 * recovery finishes or compensates whatever a crash leaves behind. A status name means "right
 * after that status was written"; an AFTER_* name means "right after the stub answered, before
 * anything was written", the gap where a side effect exists that the database does not know of.
 */
export const CRASH_POINTS = [
  'INITIATED',
  'AFTER_RESERVE',
  'INVENTORY_RESERVED',
  'PAYMENT_PENDING',
  'AFTER_CHARGE',
  'PAYMENT_COMPLETED',
  'AFTER_CONFIRM',
  'COMPLETED',
  'FAILED',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * Every setting of the checkout subgraph, read once from the environment. Defaults run it
 * locally next to `scripts/infra.sh up` and the stubs; a bad value stops the process naming it.
 */
const shape = {
  NODE_ENV: z.string().optional(),
  ...subgraphServerEnv(4003),
  POSTGRES_URL: env.postgresUrl('shop_checkout'),
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  /** Where CheckoutCompleted goes; tests use a topic of their own. */
  CHECKOUT_EVENTS_TOPIC: z.string().min(1).default(Topics.checkoutEvents),
  CART_GRPC_URL: env.hostPort('127.0.0.1:50052'),
  PRODUCT_GRPC_URL: env.hostPort('127.0.0.1:50051'),
  INVENTORY_GRPC_URL: env.hostPort('127.0.0.1:50053'),
  PAYMENT_GRPC_URL: env.hostPort('127.0.0.1:50054'),
  /** Deadlines of the snapshot reads (cart, catalog): cheap calls, so short. */
  CART_DEADLINE_MS: env.milliseconds(5_000),
  PRODUCT_DEADLINE_MS: env.milliseconds(5_000),
  /** Deadline of each inventory call (Reserve, Confirm, Release). */
  INVENTORY_DEADLINE_MS: env.milliseconds(30_000),
  /** Deadline of each payment call (Charge, GetCharge, Refund). */
  PAYMENT_DEADLINE_MS: env.milliseconds(60_000),
  /**
   * How long a duplicate submission waits for the first one to finish before it returns the
   * session as it stands (clients then follow it with checkoutSession). Default: the worst case
   * of one saga, every deadline in a row, plus a margin.
   */
  CHECKOUT_WAIT_MS: z.coerce.number().int().min(0).optional(),
  /** How often the recovery loop looks for sessions a crashed process left unfinished. */
  RECOVERY_INTERVAL_MS: z.coerce.number().int().min(50).default(5_000),
  RECOVERY_ENABLED: env.boolean(true),
  /**
   * How long a process's claim on a running session lasts without renewal. A live process
   * renews it every third of this; a crashed one's runs out, and recovery takes over.
   */
  SAGA_LEASE_MS: z.coerce.number().int().min(300).default(15_000),
  /** Publishes this database's outbox (CheckoutCompleted) to Kafka from this process. */
  OUTBOX_RELAY_ENABLED: env.boolean(true),
  /** Applies pending prisma/checkout/migrations at start (off when a deploy step does it). */
  MIGRATE_ON_START: env.boolean(true),
  /** TEST ONLY: SIGKILL this process at that point of the saga. Refused unless NODE_ENV=test. */
  CHECKOUT_CRASH_AT: z.enum(CRASH_POINTS).optional(),
};

export interface CheckoutConfig extends SubgraphServerConfig {
  postgresUrl: string;
  kafkaBrokers: string[];
  checkoutEventsTopic: string;
  grpc: { cart: string; product: string; inventory: string; payment: string };
  deadlines: { cartMs: number; productMs: number; inventoryMs: number; paymentMs: number };
  checkoutWaitMs: number;
  recovery: { enabled: boolean; intervalMs: number };
  leaseMs: number;
  outboxRelayEnabled: boolean;
  migrateOnStart: boolean;
  crashAt: CrashPoint | undefined;
}

export function loadCheckoutConfig(environment: NodeJS.ProcessEnv = process.env): CheckoutConfig {
  const c = loadConfig(shape, environment);
  refuseCrashSwitchOutsideTests('CHECKOUT_CRASH_AT', c.CHECKOUT_CRASH_AT, c.NODE_ENV);
  const deadlines = {
    cartMs: c.CART_DEADLINE_MS,
    productMs: c.PRODUCT_DEADLINE_MS,
    inventoryMs: c.INVENTORY_DEADLINE_MS,
    paymentMs: c.PAYMENT_DEADLINE_MS,
  };
  return {
    ...subgraphServerConfig(c),
    postgresUrl: c.POSTGRES_URL,
    kafkaBrokers: c.KAFKA_BROKERS,
    checkoutEventsTopic: c.CHECKOUT_EVENTS_TOPIC,
    grpc: {
      cart: c.CART_GRPC_URL,
      product: c.PRODUCT_GRPC_URL,
      inventory: c.INVENTORY_GRPC_URL,
      payment: c.PAYMENT_GRPC_URL,
    },
    deadlines,
    checkoutWaitMs:
      c.CHECKOUT_WAIT_MS ??
      deadlines.cartMs +
        deadlines.productMs +
        2 * deadlines.inventoryMs +
        2 * deadlines.paymentMs +
        5_000,
    recovery: { enabled: c.RECOVERY_ENABLED, intervalMs: c.RECOVERY_INTERVAL_MS },
    leaseMs: c.SAGA_LEASE_MS,
    outboxRelayEnabled: c.OUTBOX_RELAY_ENABLED,
    migrateOnStart: c.MIGRATE_ON_START,
    crashAt: c.CHECKOUT_CRASH_AT,
  };
}
