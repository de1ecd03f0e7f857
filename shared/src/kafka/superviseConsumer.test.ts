import pino from 'pino';
import type { SettledConsumer } from './settledConsumer';
import { superviseConsumer } from './superviseConsumer';

const logger = pino({ level: 'silent' });

/** A consumer whose life the test controls. */
function fakeConsumer() {
  let running = true;
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const consumer: SettledConsumer & { crash: () => void; stops: number } = {
    stops: 0,
    isRunning: () => running,
    ended,
    stop: async () => {
      consumer.stops++;
      running = false;
      end();
    },
    crash: () => {
      running = false;
      end();
    },
  };
  return consumer;
}

async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !probe(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!probe()) throw new Error('condition never held');
}

describe('supervising a consumer', () => {
  test('keeps starting it until Kafka lets it, and reports running only then', async () => {
    const started = fakeConsumer();
    let calls = 0;
    const supervised = superviseConsumer(
      async () => {
        if (++calls < 4) throw new Error('ECONNREFUSED');
        return started;
      },
      { logger, name: 'test', initialBackoffMs: 1, maxBackoffMs: 4 },
    );
    await supervised.firstAttempt;
    expect(supervised.isRunning()).toBe(false);
    await until(() => supervised.isRunning());
    expect(calls).toBe(4);
    await supervised.stop();
    expect(started.stops).toBe(1);
    expect(supervised.isRunning()).toBe(false);
  });

  test('starts a new consumer when kafkajs gives up on the running one', async () => {
    const consumers = [fakeConsumer(), fakeConsumer()];
    let calls = 0;
    const supervised = superviseConsumer(async () => consumers[calls++]!, {
      logger,
      name: 'test',
      initialBackoffMs: 1,
    });
    await supervised.firstAttempt;
    consumers[0]!.crash();
    await until(() => calls === 2 && supervised.isRunning());
    await supervised.stop();
    expect(consumers[1]!.stops).toBe(1);
  });

  test('stop() ends the retries, and a start that finishes after it is stopped at once', async () => {
    const late = fakeConsumer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const signals: AbortSignal[] = [];
    const supervised = superviseConsumer(
      async (signal) => {
        signals.push(signal);
        await gate;
        return late;
      },
      { logger, name: 'test' },
    );
    await supervised.stop(); // while the start is still under way: not waited for
    expect(signals[0]!.aborted).toBe(true);
    release();
    await until(() => late.stops === 1);
    expect(signals).toHaveLength(1);
    expect(supervised.isRunning()).toBe(false);
  });

  test('abandons a start that hangs, starts anew, and stops the hung one should it finish late', async () => {
    const late = fakeConsumer();
    const healthy = fakeConsumer();
    let finishLate!: () => void;
    const signals: AbortSignal[] = [];
    let calls = 0;
    const supervised = superviseConsumer(
      async (signal) => {
        signals.push(signal);
        if (++calls === 1) {
          // neither joins nor fails, until the test lets it finish
          await new Promise<void>((resolve) => (finishLate = resolve));
          return late;
        }
        return healthy;
      },
      { logger, name: 'test', initialBackoffMs: 1, maxBackoffMs: 4, startTimeoutMs: 50 },
    );
    await until(() => supervised.isRunning());
    expect(calls).toBe(2);
    expect(signals[0]!.aborted).toBe(true); // told to give up and release what it connected
    expect(signals[1]!.aborted).toBe(false);
    finishLate();
    await until(() => late.stops === 1);
    expect(supervised.isRunning()).toBe(true);
    await supervised.stop();
    expect(healthy.stops).toBe(1);
  });
});
