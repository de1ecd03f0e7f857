import { Histogram } from 'prom-client';

/**
 * Where the time between an order's commit and its subscribers' messages goes, per hop. Each
 * stage is measured from the commit (the event's `occurredAt`, the order's `updatedAt`), so the
 * stages are cumulative: `published` ≤ `received` ≤ `read`, and the difference between two
 * stages is the cost of the hop between them.
 */
export type SubscriptionStage =
  /** The outbox relay published the event to Kafka (the Kafka message timestamp). */
  | 'published'
  /** This gateway's order-events consumer was handed the event. */
  | 'received'
  /** The group's read AS OF that version answered and was handed to its subscribers. */
  | 'read';

const stageSeconds = new Histogram({
  name: 'gateway_subscription_stage_seconds',
  help: 'Seconds from an order change commit to each stage of its subscription fan-out (published to Kafka, received by the gateway, read for a group)',
  labelNames: ['stage'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
});

/** Records that `stage` was reached for a change committed at `committedAtMs` (epoch ms). */
export function observeStage(
  stage: SubscriptionStage,
  committedAtMs: number,
  atMs = Date.now(),
): void {
  // Clocks of different processes (and Kafka's) can differ by a little: never negative.
  stageSeconds.observe({ stage }, Math.max(0, atMs - committedAtMs) / 1000);
}

const readSeconds = new Histogram({
  name: 'gateway_subscription_read_seconds',
  help: 'Supergraph reads for subscriptions: seconds waiting for a slot (SUBSCRIPTION_READ_CONCURRENCY) and seconds executing',
  labelNames: ['phase'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
});

/**
 * Splits the `received` → `read` hop: a long `queued` means reads wait for the concurrency
 * budget, a long `executing` that the supergraph (the orders subgraph) answers slowly.
 */
export function observeRead(phase: 'queued' | 'executing', seconds: number): void {
  readSeconds.observe({ phase }, seconds);
}
