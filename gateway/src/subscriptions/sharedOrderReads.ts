import { context as otel, SpanKind, trace, type Context } from '@opentelemetry/api';
import type { ExecutionResult } from 'graphql';
import { GraphQLError } from 'graphql';
import pLimit from 'p-limit';
import { Counter, Gauge } from 'prom-client';
import type { Logger, Viewer } from '@shop/shared';
import { ORDER_VERSION_VARIABLE, VERSION_KEY } from './orderSelection';
import type { SupergraphExecutor } from './orderStatusChanged';
import { observeRead, observeStage } from './stageMetrics';

/** One read of an order through the supergraph: the result to send, and the order's version. */
export interface OrderSnapshot {
  version: number;
  result: ExecutionResult;
}

/** Something that wants every snapshot of a read group (a subscription's stream). */
export interface SnapshotSink {
  deliver: (snapshot: OrderSnapshot) => void;
}

/** What makes two subscriptions receive the same result: one read serves them all. */
export interface ReadSpec {
  orderId: string;
  query: string;
  variables: Record<string, unknown>;
  viewer: Viewer;
}

interface ReadGroup extends ReadSpec {
  key: string;
  sinks: Set<SnapshotSink>;
  /** The newest snapshot handed to the sinks; the versions after it are read one by one. */
  latest?: OrderSnapshot;
  /** The highest version announced by an event: every version up to it is read, in order. */
  target: number;
  /** The highest version announced while the current read ran (see `drain`). */
  heardDuringRead: number;
  /** Read the order as it is now: first read, a V1 event, or after the feed was interrupted. */
  needCurrent: boolean;
  /** A current read newer than the next version to send: sent once the gap is filled. */
  ahead?: OrderSnapshot;
  /** When each announced, not yet sent version was committed (epoch ms), for the stage metric. */
  committedAt: Map<number, number>;
  /**
   * The trace context of the event that announced each not yet sent version (the gateway's
   * `process <order-events>` span): the version's read runs in it and its push span is its child.
   */
  causes: Map<number, Context>;
  /** The event behind `needCurrent`, when one was (a V1 event names no version). */
  currentCause?: Context;
  /** The group's read loop, while it runs (at most one per group, so versions stay in order). */
  draining?: Promise<void>;
  /** For subscriptions that join before the first read has answered. */
  first?: {
    promise: Promise<OrderSnapshot | ExecutionResult>;
    settle: (outcome: OrderSnapshot | ExecutionResult) => void;
  };
}

const isSnapshot = (outcome: OrderSnapshot | ExecutionResult): outcome is OrderSnapshot =>
  'version' in outcome;

const reads = new Counter({
  name: 'gateway_subscription_reads_total',
  help: 'Supergraph reads made for orderStatusChanged (one per distinct selection and viewer per change)',
  labelNames: ['outcome'] as const,
});

const activeSubscriptions = new Gauge({
  name: 'gateway_order_subscriptions',
  help: 'orderStatusChanged subscriptions listening on this gateway (counted once their first read answered: from then on no change is missed)',
});

const readGroups = new Gauge({
  name: 'gateway_subscription_read_groups',
  help: 'Distinct (order, selection, user) groups; each change costs one supergraph read per group',
});

/** Backoff between retries of a failed refresh: a change must not be lost to a subgraph blip. */
const RETRY_DELAYS_MS = [100, 500, 2000, 5000];

/** Announced versions remembered per group (commit times, trace contexts): forged floods stop here. */
const MAX_PENDING_VERSIONS = 64;

const tracer = trace.getTracer('@shop/gateway');

/** The span of one change handed to a group's subscriptions (docs/observability.md). */
export const PUSH_SPAN_NAME = 'push orderStatusChanged';

/**
 * Groups subscriptions by (order, query, variables, user) and reads each group's order once per
 * change, then hands the snapshot to every subscription in the group. The user is part of the
 * key because results hold owner-only data: only the owner may follow an order, so sharing
 * within one user's subscriptions is sharing between everyone allowed to see the result.
 *
 * Every version is read AS OF that version (`order(id:, version:)`, from the orders
 * subgraph's history), one after the other per group: when two changes commit before the first
 * is read, subscribers still get both, in order. Events are only triggers carrying a version;
 * what is sent is what the orders database holds for that version, read through the
 * supergraph as the subscriber, so a forged or replayed `order-events` message can at worst
 * cause a read that finds nothing (a version the database does not hold is never sent).
 *
 * Reads share a small concurrency budget (p-limit) so a fan-out never crowds out the queries
 * and mutations the same event loop is serving.
 */
export class SharedOrderReads {
  private readonly groups = new Map<string, ReadGroup>();
  private readonly byOrder = new Map<string, Set<ReadGroup>>();
  private readonly limit: ReturnType<typeof pLimit>;
  /** Sinks counted by the gauge (see `listening`). */
  private readonly counted = new WeakSet<SnapshotSink>();
  private stopped = false;

  constructor(
    private readonly execute: SupergraphExecutor,
    private readonly logger: Logger,
    concurrency: number,
  ) {
    this.limit = pLimit(concurrency);
  }

  /** Adds `sink` to the group for `spec`; returns it (for `current`) and the leave function. */
  join(spec: ReadSpec, sink: SnapshotSink): { group: ReadGroup; leave: () => void } {
    const key = JSON.stringify([spec.orderId, spec.viewer.userId, spec.query, spec.variables]);
    let group = this.groups.get(key);
    if (!group) {
      group = {
        ...spec,
        key,
        sinks: new Set(),
        target: 0,
        heardDuringRead: 0,
        needCurrent: false,
        committedAt: new Map(),
        causes: new Map(),
      };
      this.groups.set(key, group);
      const ofOrder = this.byOrder.get(spec.orderId) ?? new Set();
      ofOrder.add(group);
      this.byOrder.set(spec.orderId, ofOrder);
      readGroups.inc();
    }
    const joined = group;
    joined.sinks.add(sink);
    return {
      group: joined,
      leave: () => {
        joined.sinks.delete(sink);
        if (this.counted.delete(sink)) activeSubscriptions.dec();
        if (joined.sinks.size > 0 || this.groups.get(joined.key) !== joined) return;
        this.groups.delete(joined.key);
        readGroups.dec();
        const ofOrder = this.byOrder.get(joined.orderId);
        ofOrder?.delete(joined);
        if (ofOrder?.size === 0) this.byOrder.delete(joined.orderId);
      },
    };
  }

  /**
   * The group's order as of now, for a subscription that just joined: the last snapshot sent,
   * else the first read (started if need be); an error result when the viewer cannot read it.
   * A change that the answer misses is one the group has still to send, and the joiner is
   * already in the group.
   */
  current(group: ReadGroup): Promise<OrderSnapshot | ExecutionResult> {
    if (group.latest) return Promise.resolve(group.latest);
    if (!group.first) {
      let settle: (outcome: OrderSnapshot | ExecutionResult) => void = () => undefined;
      const promise = new Promise<OrderSnapshot | ExecutionResult>((resolve) => (settle = resolve));
      group.first = { promise, settle };
      this.drain(group);
    }
    return group.first.promise;
  }

  /**
   * The sink's subscription has its starting point (its first read answered): counted by
   * `gateway_order_subscriptions` from now on. Counting at `join` would count a subscription
   * whose baseline is still being read, so a change committed meanwhile would become that
   * baseline instead of a message, and a "everyone is listening" check (the benchmark's)
   * would be wrong.
   */
  listening(sink: SnapshotSink): void {
    if (this.counted.has(sink)) return;
    this.counted.add(sink);
    activeSubscriptions.inc();
  }

  /**
   * An order changed (or may have): every group following it reads up to that version. `cause`
   * is the trace context of the event (by default the active one: the kafkajs instrumentation's
   * `process` span of the message), so the read and the push of that version join the trace of
   * the change that made it.
   */
  changed(
    orderId: string,
    userId: string,
    version: number | undefined,
    committedAtMs?: number,
    cause: Context = otel.active(),
  ): void {
    for (const group of this.byOrder.get(orderId) ?? []) {
      // Only the owner's subscriptions follow an order (an admin may read any order, but
      // follows their own), and a version we already hold is a redelivery or a stale event.
      if (group.viewer.userId !== userId) continue;
      if (version === undefined) {
        group.needCurrent = true; // a V1 event names no version: read what is there now
        group.currentCause = cause;
      } else {
        if (group.latest && version <= group.latest.version) continue;
        group.target = Math.max(group.target, version);
        group.heardDuringRead = Math.max(group.heardDuringRead, version);
        // Bounded: a flood of forged versions must not grow the map without end.
        if (committedAtMs !== undefined && group.committedAt.size < MAX_PENDING_VERSIONS) {
          group.committedAt.set(version, committedAtMs);
        }
        noteCause(group, version, cause);
      }
      this.drain(group);
    }
  }

  /** After the event feed was interrupted: events may have been missed, so look again. */
  resyncAll(): void {
    for (const group of this.groups.values()) {
      group.needCurrent = true;
      this.drain(group);
    }
  }

  stop(): void {
    this.stopped = true;
    this.limit.clearQueue();
  }

  /** Starts the group's read loop unless it runs; it ends when there is nothing left to read. */
  private drain(group: ReadGroup): void {
    if (group.draining) return;
    group.draining = this.readPending(group).finally(() => {
      group.draining = undefined;
      // Work announced after the loop's last look, before this callback, must not be stranded.
      if (this.hasWork(group)) this.drain(group);
    });
  }

  private hasWork(group: ReadGroup): boolean {
    if (this.stopped || group.sinks.size === 0) return false;
    if (!group.latest) return group.first !== undefined || group.target > 0;
    return group.needCurrent || group.latest.version < group.target;
  }

  private async readPending(group: ReadGroup): Promise<void> {
    while (this.hasWork(group)) {
      const latest = group.latest;
      if (!latest || group.needCurrent) {
        group.needCurrent = false;
        const cause = group.currentCause;
        group.currentCause = undefined;
        const outcome = await otel.with(cause ?? otel.active(), () =>
          this.readWithRetry(group, null),
        );
        if (!isSnapshot(outcome)) {
          if (!group.latest) {
            // Not found, not the viewer's, or unreadable: joiners get this error and leave.
            group.first?.settle(outcome);
            group.first = undefined;
            group.target = 0;
          }
          continue;
        }
        if (cause) noteCause(group, outcome.version, cause);
        if (!group.latest) {
          // The group's starting point (its subscriptions' baseline), not the push of a change.
          this.send(group, outcome, { push: false });
          group.first?.settle(outcome);
          group.first = undefined;
        } else if (outcome.version > group.latest.version) {
          // Newer than what was sent: read the versions in between first, then send this one.
          group.target = Math.max(group.target, outcome.version);
          group.ahead = outcome;
        }
        continue;
      }
      const version = latest.version + 1;
      group.heardDuringRead = 0;
      const outcome =
        group.ahead?.version === version
          ? group.ahead
          : await otel.with(group.causes.get(version) ?? otel.active(), () =>
              this.readWithRetry(group, version),
            );
      if (isSnapshot(outcome) && outcome.version === version) {
        this.send(group, outcome);
        continue;
      }
      if (group.ahead && group.ahead.version > version) {
        // History has a gap (an order older than the history table): its current state is
        // the best there is.
        this.send(group, group.ahead);
        continue;
      }
      // The database holds no such version. A real version's event is published only after
      // its commit, so the event that announced it was forged (or its change has not committed
      // yet and its own event is still to come). Nothing is sent; an event heard during the
      // read (possibly that real change) keeps the loop going.
      group.target = Math.max(latest.version, group.heardDuringRead);
      for (const announced of group.causes.keys()) {
        if (announced > group.target) group.causes.delete(announced);
      }
    }
  }

  private send(group: ReadGroup, snapshot: OrderSnapshot, { push = true } = {}): void {
    if (group.latest && snapshot.version <= group.latest.version) return;
    group.latest = snapshot;
    const sentAt = Date.now();
    for (const [version, committedAt] of group.committedAt) {
      if (version > snapshot.version) continue;
      if (version === snapshot.version) observeStage('read', committedAt, sentAt);
      group.committedAt.delete(version);
    }
    const cause = push ? group.causes.get(snapshot.version) : undefined;
    for (const version of group.causes.keys()) {
      if (version <= snapshot.version) group.causes.delete(version);
    }
    if (group.ahead && group.ahead.version <= snapshot.version) group.ahead = undefined;
    const sinks = [...group.sinks];
    const deliver = () => {
      for (const sink of sinks) sink.deliver(snapshot);
    };
    // The first read, or a version no event announced (a re-read after the feed was
    // interrupted), is no push of a change: no span.
    if (!cause) {
      deliver();
      return;
    }
    // The push of a change to this group's subscriptions, in the trace of the change: a child of
    // the `process <order-events>` span of the event that announced the version. It ends once
    // the result is in every subscription's send queue (graphql-ws writes it to the socket next).
    const span = tracer.startSpan(
      PUSH_SPAN_NAME,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'graphql.operation.type': 'subscription',
          'shop.order.id': group.orderId,
          'shop.order.version': snapshot.version,
          'shop.subscriptions': sinks.length,
        },
      },
      cause,
    );
    try {
      otel.with(trace.setSpan(cause, span), () => {
        deliver();
        this.logger.debug(
          { orderId: group.orderId, version: snapshot.version, subscriptions: sinks.length },
          'order change pushed to subscribers',
        );
      });
    } finally {
      span.end();
    }
  }

  /**
   * Reads until the order is read, it is gone or unreadable (an error result, returned), or no
   * one listens any more. A failure of the supergraph itself (a subgraph down) is retried:
   * giving up would lose the change for every subscriber of the group.
   */
  private async readWithRetry(
    group: ReadGroup,
    version: number | null,
  ): Promise<OrderSnapshot | ExecutionResult> {
    // A read queued behind others is started by whichever read finishes first (p-limit), in
    // that one's context: keep this version's, so its fetches join the right trace.
    const traceContext = otel.active();
    for (let attempt = 0; ; attempt++) {
      const queuedAt = performance.now();
      const outcome = await this.limit(() =>
        otel.with(traceContext, async () => {
          const startedAt = performance.now();
          observeRead('queued', (startedAt - queuedAt) / 1000);
          try {
            return await this.read(group, version);
          } finally {
            observeRead('executing', (performance.now() - startedAt) / 1000);
          }
        }),
      );
      if (outcome.kind !== 'retry') return outcome.value;
      const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] as number;
      if (this.stopped || group.sinks.size === 0 || attempt >= 20) return outcome.value;
      this.logger.warn(
        { orderId: group.orderId, attempt, delay },
        'order read for subscribers failed; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }

  private async read(
    group: ReadGroup,
    version: number | null,
  ): Promise<{ kind: 'done' | 'retry'; value: OrderSnapshot | ExecutionResult }> {
    let formatted;
    try {
      formatted = await this.execute(
        group.query,
        { ...group.variables, [ORDER_VERSION_VARIABLE]: version },
        group.viewer,
      );
    } catch (err) {
      reads.inc({ outcome: 'failed' });
      this.logger.warn({ err, orderId: group.orderId }, 'order read for subscribers threw');
      return {
        kind: 'retry',
        value: errorResult('The order could not be read.', 'SERVICE_UNAVAILABLE'),
      };
    }
    const errors = (formatted.errors ?? []).map(
      (e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }),
    );
    const order = formatted.data?.order as Record<string, unknown> | null | undefined;
    if (!order || typeof order[VERSION_KEY] !== 'number') {
      const unavailable = errors.some((e) => e.extensions.code === 'SERVICE_UNAVAILABLE');
      reads.inc({ outcome: unavailable ? 'failed' : 'not_found' });
      return {
        kind: unavailable ? 'retry' : 'done',
        value: { errors: errors.length ? errors : [notFound(group.orderId)], data: null },
      };
    }
    reads.inc({ outcome: 'ok' });
    const { [VERSION_KEY]: readVersion, ...rest } = order;
    return {
      kind: 'done',
      value: {
        version: readVersion as number,
        result: errors.length ? { data: { order: rest }, errors } : { data: { order: rest } },
      },
    };
  }
}

/** Remembers the event behind `version` (the first one heard: a redelivery is the same change). */
function noteCause(group: ReadGroup, version: number, cause: Context): void {
  if (group.causes.has(version) || group.causes.size >= MAX_PENDING_VERSIONS) return;
  group.causes.set(version, cause);
}

function notFound(orderId: string): GraphQLError {
  return new GraphQLError(`There is no order ${orderId} of yours to follow.`, {
    extensions: { code: 'NOT_FOUND' },
  });
}

export function errorResult(message: string, code: string): ExecutionResult {
  return { errors: [new GraphQLError(message, { extensions: { code } })] };
}
