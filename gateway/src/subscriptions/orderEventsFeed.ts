import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { Gauge } from 'prom-client';
import { events, type Logger } from '@shop/shared';

type OrderStatusChanged = events.OrderStatusChangedV1;
type Listener = (event: OrderStatusChanged) => void;

export interface OrderEventsFeed {
  /** Calls `listener` for each change of `orderId` from now on; returns the unsubscribe. */
  listen: (orderId: string, listener: Listener) => () => void;
  /** Resolves once the consumer has joined its group and will see new events. */
  ready: Promise<void>;
  stop: () => Promise<void>;
}

const activeSubscriptions = new Gauge({
  name: 'gateway_order_subscriptions',
  help: 'orderStatusChanged subscriptions currently listening on this gateway',
});

/** How many event ids to remember for dropping redeliveries (outbox relays are at-least-once). */
const SEEN_EVENT_IDS = 10_000;

/**
 * Fans `order-events` out to this gateway instance's subscribers. Every instance consumes with
 * a consumer group of its own, so each sees every event and delivers it to the subscribers
 * connected to it — a subscriber is connected to exactly one instance, so it hears each change
 * once however many instances run. It starts at the latest offset: a subscription is about
 * changes from now on, not history.
 */
export function startOrderEventsFeed(options: {
  kafka: Kafka;
  topic: string;
  logger: Logger;
  instanceId?: string;
}): OrderEventsFeed {
  const log = options.logger.child({ component: 'order-events-feed' });
  const groupId = `gateway-${options.instanceId ?? `${hostname()}-${randomUUID().slice(0, 8)}`}`;
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  const listeners = new Map<string, Set<Listener>>();
  const seen = new Set<string>();

  const deliver = (event: OrderStatusChanged) => {
    if (seen.has(event.eventId)) return;
    seen.add(event.eventId);
    if (seen.size > SEEN_EVENT_IDS) seen.delete(seen.values().next().value as string);
    for (const listener of listeners.get(event.orderId) ?? []) listener(event);
  };

  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => readyResolve());

  const started = (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        let parsed: ReturnType<typeof events.OrderStatusChangedV1.safeParse>;
        try {
          parsed = events.OrderStatusChangedV1.safeParse(
            JSON.parse(message.value?.toString() ?? ''),
          );
        } catch {
          log.warn({ offset: message.offset }, 'order event is not JSON; skipped');
          return;
        }
        if (!parsed.success) {
          log.warn(
            { offset: message.offset },
            'order event does not match OrderStatusChangedV1; skipped',
          );
          return;
        }
        deliver(parsed.data);
      },
    });
  })().catch((err: unknown) => log.error({ err }, 'order events consumer failed to start'));

  return {
    ready,
    listen: (orderId, listener) => {
      const set = listeners.get(orderId) ?? new Set<Listener>();
      set.add(listener);
      listeners.set(orderId, set);
      activeSubscriptions.inc();
      return () => {
        if (set.delete(listener)) activeSubscriptions.dec();
        if (set.size === 0) listeners.delete(orderId);
      };
    },
    stop: async () => {
      await started;
      await consumer.disconnect();
    },
  };
}
