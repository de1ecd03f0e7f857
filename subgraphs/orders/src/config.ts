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
import { REFUND_CRASH_POINTS, type RefundCrashPoint } from './events/refundsConsumer';

/**
 * Every setting of the orders subgraph, read once from the environment. Defaults run it
 * locally next to `scripts/infra.sh up`; a bad value stops the process naming the variable.
 */
const shape = {
  ...subgraphServerEnv(4004),
  POSTGRES_URL: env.postgresUrl('shop_orders'),
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  CHECKOUT_EVENTS_TOPIC: z.string().min(1).default(Topics.checkoutEvents),
  /** Where messages that can never become an order go, with the reason in their headers. */
  CHECKOUT_EVENTS_DLQ_TOPIC: z.string().min(1).default(Topics.checkoutEventsDlq),
  ORDER_EVENTS_TOPIC: z.string().min(1).default(Topics.orderEvents),
  CONSUMER_GROUP: z.string().min(1).default('orders-service'),
  /**
   * How long the group waits for a silent member before giving its partitions to another: the
   * pause after a crash. Lower fails over faster but risks evicting a member in a long GC pause;
   * the broker bounds it (group.min.session.timeout.ms, 6 s by default).
   */
  CONSUMER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  /**
   * checkout-events partitions this member turns into orders side by side (the topic has 3).
   * Each partition is still handled in order, one message at a time, its offset committed after
   * its order; events of different shoppers (different keys, so partitions) never touch the
   * same order. bench:checkout: with 1, orders fell seconds behind the topic at 16 checkouts
   * at a time (docs/performance.md).
   */
  CONSUMER_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(3),
  /** Runs the CheckoutCompleted consumer in this process (off for an API-only replica). */
  CONSUMER_ENABLED: env.boolean(true),
  /**
   * Attempts for a message whose processing fails for a reason that is neither the database
   * being unreachable (retried without limit) nor a malformed message (dead-lettered at once).
   */
  CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** First retry delay; it doubles per attempt up to CONSUMER_RETRY_MAX_BACKOFF_MS. */
  CONSUMER_RETRY_BACKOFF_MS: env.milliseconds(200),
  CONSUMER_RETRY_MAX_BACKOFF_MS: env.milliseconds(5000),
  /** Where OrderCancelled messages that cannot be processed go (the refunds consumer's DLQ). */
  ORDER_EVENTS_DLQ_TOPIC: z.string().min(1).default(Topics.orderEventsDlq),
  /** Runs the cancellation consumer (refund + restock, group REFUNDS_CONSUMER_GROUP) here. */
  REFUNDS_CONSUMER_ENABLED: env.boolean(true),
  REFUNDS_CONSUMER_GROUP: z.string().min(1).default('orders-refunds'),
  /** The payment stub (Refund) and the inventory stub (Restock), for cancellations. */
  PAYMENT_GRPC_URL: env.hostPort('127.0.0.1:50054'),
  INVENTORY_GRPC_URL: env.hostPort('127.0.0.1:50053'),
  /** Deadline of one Refund or Restock call; an unanswered call is retried (both idempotent). */
  GRPC_DEADLINE_MS: env.milliseconds(10_000),
  /**
   * Refusals of a refund by the payment provider before it is recorded FAILED with the
   * provider's reason for staff (retried with the consumer backoff in between).
   */
  REFUND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** TEST ONLY: SIGKILL this process at a point of the refund saga; refused unless NODE_ENV=test. */
  ORDERS_CRASH_AT: z.enum(REFUND_CRASH_POINTS).optional(),
  NODE_ENV: z.string().optional(),
  /** Publishes this database's outbox (OrderStatusChanged) to Kafka from this process. */
  OUTBOX_RELAY_ENABLED: env.boolean(true),
  /** Applies pending prisma/orders/migrations at start (off when a deploy step does it). */
  MIGRATE_ON_START: env.boolean(true),
};

export interface OrdersConfig extends SubgraphServerConfig {
  postgresUrl: string;
  kafkaBrokers: string[];
  topics: { checkoutEvents: string; checkoutEventsDlq: string; orderEvents: string };
  consumer: {
    enabled: boolean;
    groupId: string;
    sessionTimeoutMs: number;
    partitionsConcurrently: number;
    maxAttempts: number;
    retryBackoffMs: number;
    retryMaxBackoffMs: number;
  };
  outboxRelayEnabled: boolean;
  migrateOnStart: boolean;
  refunds: {
    enabled: boolean;
    groupId: string;
    deadLetterTopic: string;
    paymentGrpcUrl: string;
    inventoryGrpcUrl: string;
    deadlineMs: number;
    maxAttempts: number;
  };
  crashAt: RefundCrashPoint | undefined;
}

export function loadOrdersConfig(environment: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const c = loadConfig(shape, environment);
  refuseCrashSwitchOutsideTests('ORDERS_CRASH_AT', c.ORDERS_CRASH_AT, c.NODE_ENV);
  return {
    ...subgraphServerConfig(c),
    postgresUrl: c.POSTGRES_URL,
    kafkaBrokers: c.KAFKA_BROKERS,
    topics: {
      checkoutEvents: c.CHECKOUT_EVENTS_TOPIC,
      checkoutEventsDlq: c.CHECKOUT_EVENTS_DLQ_TOPIC,
      orderEvents: c.ORDER_EVENTS_TOPIC,
    },
    consumer: {
      enabled: c.CONSUMER_ENABLED,
      groupId: c.CONSUMER_GROUP,
      sessionTimeoutMs: c.CONSUMER_SESSION_TIMEOUT_MS,
      partitionsConcurrently: c.CONSUMER_PARTITIONS_CONCURRENTLY,
      maxAttempts: c.CONSUMER_MAX_ATTEMPTS,
      retryBackoffMs: c.CONSUMER_RETRY_BACKOFF_MS,
      retryMaxBackoffMs: c.CONSUMER_RETRY_MAX_BACKOFF_MS,
    },
    outboxRelayEnabled: c.OUTBOX_RELAY_ENABLED,
    migrateOnStart: c.MIGRATE_ON_START,
    refunds: {
      enabled: c.REFUNDS_CONSUMER_ENABLED,
      groupId: c.REFUNDS_CONSUMER_GROUP,
      deadLetterTopic: c.ORDER_EVENTS_DLQ_TOPIC,
      paymentGrpcUrl: c.PAYMENT_GRPC_URL,
      inventoryGrpcUrl: c.INVENTORY_GRPC_URL,
      deadlineMs: c.GRPC_DEADLINE_MS,
      maxAttempts: c.REFUND_MAX_ATTEMPTS,
    },
    crashAt: c.ORDERS_CRASH_AT,
  };
}
