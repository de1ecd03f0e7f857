import type { FormattedExecutionResult } from 'graphql';
import { register } from 'prom-client';
import { createLogger, type Viewer } from '@shop/shared';
import { ORDER_VERSION_VARIABLE, VERSION_KEY } from './orderSelection';
import type { SupergraphExecutor } from './orderStatusChanged';
import { SharedOrderReads, type OrderSnapshot } from './sharedOrderReads';

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
  const execute: SupergraphExecutor = (_query, variables) =>
    new Promise((resolve) => {
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
  return { execute, answerNext };
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
