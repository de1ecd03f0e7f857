import type { ExecutionResult } from 'graphql';
import { GraphQLError } from 'graphql';
import pLimit from 'p-limit';
import { Counter, Gauge } from 'prom-client';
import type { Logger, Viewer } from '@shop/shared';
import { VERSION_KEY } from './orderSelection';
import type { SupergraphExecutor } from './orderStatusChanged';

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
  latest?: OrderSnapshot;
  /** The read running now, if any; events while it runs ask for one more after it. */
  running?: Promise<OrderSnapshot | ExecutionResult>;
  again: boolean;
}

const reads = new Counter({
  name: 'gateway_subscription_reads_total',
  help: 'Supergraph reads made for orderStatusChanged (one per distinct selection and viewer per change)',
  labelNames: ['outcome'] as const,
});

const activeSubscriptions = new Gauge({
  name: 'gateway_order_subscriptions',
  help: 'orderStatusChanged subscriptions currently listening on this gateway',
});

const readGroups = new Gauge({
  name: 'gateway_subscription_read_groups',
  help: 'Distinct (order, selection, user) groups; each change costs one supergraph read per group',
});

/** Backoff between retries of a failed refresh: a change must not be lost to a subgraph blip. */
const RETRY_DELAYS_MS = [100, 500, 2000, 5000];

/**
 * Groups subscriptions by (order, query, variables, user) and reads each group's order once per
 * change, then hands the snapshot to every subscription in the group. The user is part of the
 * key because results hold owner-only data: only the owner may follow an order, so sharing
 * within one user's subscriptions is sharing between everyone allowed to see the result.
 *
 * Events are only triggers. What is sent is always what the orders database holds, read
 * through the supergraph as the subscriber, so a forged or replayed `order-events` message can
 * at worst cause a read that shows nothing new. A burst of changes faster than one read can
 * collapse into the newest state; the version always moves forward and the last change always
 * arrives.
 *
 * Reads share a small concurrency budget (p-limit) so a fan-out never crowds out the queries
 * and mutations the same event loop is serving.
 */
export class SharedOrderReads {
  private readonly groups = new Map<string, ReadGroup>();
  private readonly byOrder = new Map<string, Set<ReadGroup>>();
  private readonly limit: ReturnType<typeof pLimit>;
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
      group = { ...spec, key, sinks: new Set(), again: false };
      this.groups.set(key, group);
      const ofOrder = this.byOrder.get(spec.orderId) ?? new Set();
      ofOrder.add(group);
      this.byOrder.set(spec.orderId, ofOrder);
      readGroups.inc();
    }
    const joined = group;
    joined.sinks.add(sink);
    activeSubscriptions.inc();
    return {
      group: joined,
      leave: () => {
        if (joined.sinks.delete(sink)) activeSubscriptions.dec();
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
   * The group's order as of now, for a subscription that just joined: the read in flight if
   * there is one, else the last snapshot, else a new read; an error result when the viewer
   * cannot read it. A change that the answer misses is one whose event is still to come, and
   * the joiner already listens for it.
   */
  current(group: ReadGroup): Promise<OrderSnapshot | ExecutionResult> {
    if (group.running) return group.running;
    if (group.latest) return Promise.resolve(group.latest);
    return this.refresh(group);
  }

  /** An order changed (or may have): re-read every group following it, unless the event is stale. */
  changed(orderId: string, userId: string, version: number | undefined): void {
    for (const group of this.byOrder.get(orderId) ?? []) {
      // Only the owner's subscriptions follow an order (an admin may read any order, but
      // follows their own), and a version we already hold is a redelivery or a stale event.
      if (group.viewer.userId !== userId) continue;
      if (version !== undefined && group.latest && version <= group.latest.version) continue;
      void this.refresh(group);
    }
  }

  /** After the event feed was interrupted: re-read everything, events may have been missed. */
  resyncAll(): void {
    for (const group of this.groups.values()) void this.refresh(group);
  }

  stop(): void {
    this.stopped = true;
    this.limit.clearQueue();
  }

  private refresh(group: ReadGroup): Promise<OrderSnapshot | ExecutionResult> {
    if (group.running) {
      group.again = true;
      return group.running;
    }
    const run = async (): Promise<OrderSnapshot | ExecutionResult> => {
      let outcome: OrderSnapshot | ExecutionResult;
      do {
        group.again = false;
        outcome = await this.readWithRetry(group);
        if ('version' in outcome && (!group.latest || outcome.version > group.latest.version)) {
          group.latest = outcome;
          for (const sink of [...group.sinks]) sink.deliver(outcome);
        }
      } while (group.again && !this.stopped && group.sinks.size > 0);
      return outcome;
    };
    group.running = run().finally(() => (group.running = undefined));
    return group.running;
  }

  /**
   * Reads until the order is read, it is gone or unreadable (an error result, returned), or no
   * one listens any more. A failure of the supergraph itself (a subgraph down) is retried:
   * giving up would lose the change for every subscriber of the group.
   */
  private async readWithRetry(group: ReadGroup): Promise<OrderSnapshot | ExecutionResult> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.limit(() => this.read(group));
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
  ): Promise<{ kind: 'done' | 'retry'; value: OrderSnapshot | ExecutionResult }> {
    let formatted;
    try {
      formatted = await this.execute(group.query, group.variables, group.viewer);
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
    const { [VERSION_KEY]: version, ...rest } = order;
    return {
      kind: 'done',
      value: {
        version: version as number,
        result: errors.length ? { data: { order: rest }, errors } : { data: { order: rest } },
      },
    };
  }
}

function notFound(orderId: string): GraphQLError {
  return new GraphQLError(`There is no order ${orderId} of yours to follow.`, {
    extensions: { code: 'NOT_FOUND' },
  });
}

export function errorResult(message: string, code: string): ExecutionResult {
  return { errors: [new GraphQLError(message, { extensions: { code } })] };
}
