import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { events, type Logger } from '@shop/shared';
import { observeStage } from './stageMetrics';

export interface OrderEventsFeed {
  /** Resolves once the consumer has fetched from its partitions: new events will be seen. */
  ready: Promise<void>;
  stop: () => Promise<void>;
}

export interface OrderEventHandlers {
  /**
   * An order changed: its id, owner, (V2 events) version after the change, and when it was
   * committed (epoch ms, for the per-stage latency metric).
   */
  changed: (
    orderId: string,
    userId: string,
    version: number | undefined,
    committedAtMs?: number,
  ) => void;
  /** The consumer rejoined after an interruption: events may have been missed. */
  resync: () => void;
}

/**
 * Turns `order-events` into triggers for this gateway instance's subscribers. Every instance
 * consumes with a consumer group of its own, so each sees every event and serves the
 * subscribers connected to it: a subscriber is connected to exactly one instance, so it hears
 * each change once however many instances run. It starts at the latest offset (subscriptions
 * are about changes from now on; resuming is by `sinceVersion`, read from the orders database),
 * and after any rejoin (broker restart, session timeout) asks for a re-read of every followed
 * order, since events in between may have been skipped or redelivered. Redeliveries are
 * harmless: the version check drops what a subscriber already has.
 */
export function startOrderEventsFeed(options: {
  kafka: Kafka;
  topic: string;
  logger: Logger;
  handlers: OrderEventHandlers;
  instanceId?: string;
}): OrderEventsFeed {
  const log = options.logger.child({ component: 'order-events-feed' });
  const groupId = `gateway-${options.instanceId ?? `${hostname()}-${randomUUID().slice(0, 8)}`}`;
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });

  // Ready after the first fetch, not at the group join: a new group resolves "latest" when it
  // first fetches, so an event produced between the join and that fetch would be skipped.
  let fetched = false;
  let rejoined = false;
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  consumer.on(consumer.events.FETCH, () => {
    if (!fetched) {
      fetched = true;
      readyResolve();
    }
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (!fetched && !rejoined) return;
    rejoined = true;
    log.warn({ groupId }, 'order events consumer rejoined; re-reading followed orders');
    options.handlers.resync();
  });
  consumer.on(consumer.events.CRASH, () => (rejoined = true));

  const started = (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const receivedAt = Date.now();
        let parsed: ReturnType<typeof events.OrderStatusChanged.safeParse>;
        try {
          parsed = events.OrderStatusChanged.safeParse(JSON.parse(message.value?.toString() ?? ''));
        } catch {
          log.warn({ offset: message.offset }, 'order event is not JSON; skipped');
          return;
        }
        if (!parsed.success) {
          log.warn({ offset: message.offset }, 'order event is not an OrderStatusChanged; skipped');
          return;
        }
        const event = parsed.data;
        const committedAt = Date.parse(event.occurredAt);
        observeStage('published', committedAt, Number(message.timestamp));
        observeStage('received', committedAt, receivedAt);
        // Called inside the kafkajs instrumentation's `process <topic>` span (a child of the
        // message's traceparent): SharedOrderReads takes the active context as the change's, so
        // the push to subscribers joins the trace of the change (docs/observability.md).
        options.handlers.changed(
          event.orderId,
          event.userId,
          event.version === 2 ? event.orderVersion : undefined,
          committedAt,
        );
      },
    });
  })().catch((err: unknown) => log.error({ err }, 'order events consumer failed to start'));

  return {
    ready,
    stop: async () => {
      await started;
      await consumer.disconnect();
    },
  };
}
