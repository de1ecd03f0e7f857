import type { ExecutionResult } from 'graphql';
import { Counter } from 'prom-client';
import type { WebSocket } from 'ws';
import type { OrderSnapshot, SnapshotSink } from './sharedOrderReads';

/** Close code for a socket whose client does not read what it is sent (4000-4999: private use). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
/** How long a closing slow socket may take to finish its close handshake before it is cut. */
const TERMINATE_AFTER_MS = 2000;

const slowClosed = new Counter({
  name: 'gateway_subscription_slow_sockets_closed_total',
  help: 'WebSockets closed because their send buffer overflowed (the client stopped reading)',
});

export interface SendBudget {
  /** Bytes ws may hold unsent for the socket (`bufferedAmount`) before it is closed. */
  maxBufferedBytes: number;
  /** Messages waiting for graphql-ws to send on this subscription before the socket is closed. */
  maxQueuedMessages: number;
}

/**
 * One subscription's messages, as the async iterator graphql-ws reads. Snapshots are pushed
 * (never awaited) by the shared read, so a socket that stops reading only grows its own queue;
 * once the queue or the socket's unsent bytes pass the budget the socket is closed with
 * SLOW_CONSUMER_CLOSE_CODE and the client may resume with `sinceVersion`.
 *
 * Versions only move forward per subscription: a snapshot at or below the last one sent is
 * dropped. Until `baseline` is set (a subscription without sinceVersion starts "from now"),
 * snapshots are held, and only those newer than the baseline are sent.
 */
export class SubscriberStream implements SnapshotSink, AsyncIterableIterator<ExecutionResult> {
  private lastVersion: number | undefined;
  private held: OrderSnapshot | undefined;
  private readonly queue: ExecutionResult[] = [];
  private wake: (() => void) | undefined;
  private done = false;
  private onEnd: () => void = () => undefined;

  constructor(
    private readonly responseKey: string,
    sinceVersion: number | undefined,
    private readonly socket: WebSocket | undefined,
    private readonly budget: SendBudget,
  ) {
    this.lastVersion = sinceVersion;
  }

  /** Called once, with what to undo when the stream ends (leave the read group). */
  whenEnded(onEnd: () => void): void {
    this.onEnd = onEnd;
  }

  /** Subscriptions without sinceVersion: changes after `version` (the order as subscribed). */
  baseline(version: number): void {
    if (this.lastVersion !== undefined) return;
    this.lastVersion = version;
    const held = this.held;
    this.held = undefined;
    if (held) this.deliver(held);
  }

  deliver(snapshot: OrderSnapshot): void {
    if (this.done) return;
    if (this.lastVersion === undefined) {
      if (!this.held || snapshot.version > this.held.version) this.held = snapshot;
      return;
    }
    if (snapshot.version <= this.lastVersion) return;
    this.lastVersion = snapshot.version;
    if (
      this.queue.length >= this.budget.maxQueuedMessages ||
      (this.socket?.bufferedAmount ?? 0) > this.budget.maxBufferedBytes
    ) {
      this.closeSlowSocket();
      return;
    }
    const order = snapshot.result.data?.order;
    this.queue.push({ ...snapshot.result, data: { [this.responseKey]: order } });
    this.wake?.();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    while (!this.done && this.queue.length === 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (this.done) return { done: true, value: undefined };
    return { done: false, value: this.queue.shift() as ExecutionResult };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return { done: true, value: undefined };
  }

  async throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    throw err;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.onEnd();
    this.wake?.();
  }

  private closeSlowSocket(): void {
    this.end();
    const socket = this.socket;
    if (!socket || socket.readyState >= socket.CLOSING) return;
    slowClosed.inc();
    socket.close(
      SLOW_CONSUMER_CLOSE_CODE,
      'Send buffer full: reconnect and resume with sinceVersion',
    );
    // The close frame queues behind the unread data; a client that reads nothing never answers.
    setTimeout(() => socket.terminate(), TERMINATE_AFTER_MS).unref();
  }
}
