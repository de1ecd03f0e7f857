import { context, ROOT_CONTEXT, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { FormattedExecutionResult } from 'graphql';
import { register } from 'prom-client';
import { createLogger, type Viewer } from '@shop/shared';
import { ORDER_VERSION_VARIABLE, VERSION_KEY } from './orderSelection';
import type { SupergraphExecutor } from './orderStatusChanged';
import { PUSH_SPAN_NAME, SharedOrderReads, type OrderSnapshot } from './sharedOrderReads';

// Unit test of the read groups' bookkeeping: the supergraph is a stand-in whose answers the
// test releases, so "before the first read answered" is a state the test can hold.
const viewer: Viewer = { userId: 'owner-1', scopes: new Set(), token: 't' };

async function gauge(name: string): Promise<number> {
  const metric = await register.getSingleMetric(name)?.get();
  return metric?.values[0]?.value ?? NaN;
}

async function stageCount(stage: string): Promise<number> {
  const metric = await register.getSingleMetric('gateway_subscription_stage_seconds')?.get();
  return (
    metric?.values.find(
      (v) =>
        v.labels.stage === stage &&
        String((v as { metricName?: unknown }).metricName ?? '').endsWith('_count'),
    )?.value ?? 0
  );
}

function heldExecutor() {
  const pending: ((result: FormattedExecutionResult) => void)[] = [];
  /** Each read's variables and the span active when it started. */
  const readIn: { variables: Record<string, unknown>; span: Span | undefined }[] = [];
  const execute: SupergraphExecutor = (_query, variables) =>
    new Promise((resolve) => {
      readIn.push({ variables, span: trace.getSpan(context.active()) });
      const version = (variables[ORDER_VERSION_VARIABLE] as number | null) ?? 1;
      pending.push(() =>
        resolve({ data: { order: { id: 'o1', status: 'PENDING', [VERSION_KEY]: version } } }),
      );
    });
  /** Answers the oldest read once one has started (p-limit starts reads a tick later). */
  const answerNext = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()?.({});
  };
  return { execute, answerNext, readIn };
}

jest.setTimeout(10_000);

describe('SharedOrderReads', () => {
  it('counts a subscription as listening only once its first read answered, and uncounts it when it leaves', async () => {
    const { execute, answerNext } = heldExecutor();
    const reads = new SharedOrderReads(execute, createLogger('test', 'silent'), 4);
    const before = await gauge('gateway_order_subscriptions');
    const sink = { deliver: () => undefined };
    const { group, leave } = reads.join({ orderId: 'o1', query: 'q', variables: {}, viewer }, sink);
    const first = reads.current(group);
    // Joined, first read still running: a change committed now would be its baseline.
    expect(await gauge('gateway_order_subscriptions')).toBe(before);
    await answerNext();
    expect(await first).toMatchObject({ version: 1 });
    reads.listening(sink);
    reads.listening(sink);
    expect(await gauge('gateway_order_subscriptions')).toBe(before + 1);
    leave();
    expect(await gauge('gateway_order_subscriptions')).toBe(before);
    reads.stop();
  });

  it('times the read stage once per change sent, from the commit the event carried', async () => {
    const { execute, answerNext } = heldExecutor();
    const reads = new SharedOrderReads(execute, createLogger('test', 'silent'), 4);
    const delivered: OrderSnapshot[] = [];
    const { group, leave } = reads.join(
      { orderId: 'o2', query: 'q', variables: {}, viewer },
      { deliver: (s) => delivered.push(s) },
    );
    const first = reads.current(group);
    await answerNext();
    await first;
    const before = await stageCount('read');
    reads.changed('o2', viewer.userId, 2, Date.now() - 50);
    reads.changed('o2', viewer.userId, 2, Date.now()); // a redelivery: still one change
    await answerNext();
    while (delivered.length < 2) await new Promise((r) => setImmediate(r));
    expect(delivered.map((s) => s.version)).toEqual([1, 2]);
    expect(await stageCount('read')).toBe(before + 1);
    leave();
    reads.stop();
  });
});

describe('SharedOrderReads tracing', () => {
  // The gateway's real set-up in miniature: a context manager that follows async calls and a
  // provider whose finished spans the test reads.
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    context.disable();
    await provider.shutdown();
  });

  it('reads and pushes each version in the trace of the event that announced it; the first read is no push', async () => {
    const { execute, answerNext, readIn } = heldExecutor();
    const reads = new SharedOrderReads(execute, createLogger('test', 'silent'), 4);
    const delivered: OrderSnapshot[] = [];
    const { group, leave } = reads.join(
      { orderId: 'o3', query: 'q', variables: {}, viewer },
      { deliver: (s) => delivered.push(s) },
    );
    const first = reads.current(group);
    // The order's creation event, heard while the first read runs: that read is the starting
    // point of the subscriptions, not the push of a change.
    const tracer = provider.getTracer('test');
    const created = tracer.startSpan('process order-events v1', {}, ROOT_CONTEXT);
    reads.changed('o3', viewer.userId, 1, Date.now(), trace.setSpan(ROOT_CONTEXT, created));
    created.end();
    await answerNext();
    await first;

    // Two changes announced before the first is read: each is still its own trace's push.
    const events = [2, 3].map((version) => {
      const span = tracer.startSpan(`process order-events v${version}`, {}, ROOT_CONTEXT);
      reads.changed('o3', viewer.userId, version, Date.now(), trace.setSpan(ROOT_CONTEXT, span));
      return span;
    });
    await answerNext();
    await answerNext();
    while (delivered.length < 3) await new Promise((r) => setImmediate(r));
    for (const span of events) span.end();
    expect(delivered.map((s) => s.version)).toEqual([1, 2, 3]);

    const pushes = exporter.getFinishedSpans().filter((s) => s.name === PUSH_SPAN_NAME);
    expect(
      pushes.map((s) => ({
        traceId: s.spanContext().traceId,
        parent: s.parentSpanContext?.spanId,
        version: s.attributes['shop.order.version'],
        order: s.attributes['shop.order.id'],
        subscriptions: s.attributes['shop.subscriptions'],
      })),
    ).toEqual(
      events.map((span, i) => ({
        traceId: span.spanContext().traceId,
        parent: span.spanContext().spanId,
        version: i + 2,
        order: 'o3',
        subscriptions: 1,
      })),
    );
    // The read as of each version ran inside its event's context (its fetches join that trace).
    const spanOfRead = (version: number) =>
      readIn.find((r) => r.variables[ORDER_VERSION_VARIABLE] === version)?.span;
    expect(spanOfRead(2)).toBe(events[0]);
    expect(spanOfRead(3)).toBe(events[1]);
    leave();
    reads.stop();
  });

  it("keeps a queued read in its own event's context, not in that of the read it waited for", async () => {
    const { execute, answerNext, readIn } = heldExecutor();
    // One read at a time: the second order's read waits for the first's and is started by it.
    const reads = new SharedOrderReads(execute, createLogger('test', 'silent'), 1);
    const orders = ['o4', 'o5'];
    const delivered: OrderSnapshot[] = [];
    const groups = orders.map((orderId) =>
      reads.join(
        { orderId, query: 'q', variables: { orderId }, viewer },
        { deliver: (s) => delivered.push(s) },
      ),
    );
    for (const { group } of groups) {
      const first = reads.current(group);
      await answerNext();
      await first;
    }
    const tracer = provider.getTracer('test');
    const events = orders.map((orderId) => {
      const span = tracer.startSpan(`process order-events ${orderId}`, {}, ROOT_CONTEXT);
      reads.changed(orderId, viewer.userId, 2, Date.now(), trace.setSpan(ROOT_CONTEXT, span));
      return span;
    });
    await answerNext();
    await answerNext();
    while (delivered.length < 4) await new Promise((r) => setImmediate(r));
    for (const span of events) span.end();
    const spanOfRead = (orderId: string) =>
      readIn.find(
        (r) => r.variables.orderId === orderId && r.variables[ORDER_VERSION_VARIABLE] === 2,
      )?.span;
    expect(spanOfRead('o4')).toBe(events[0]);
    expect(spanOfRead('o5')).toBe(events[1]);
    for (const { leave } of groups) leave();
    reads.stop();
  });
});
