import pino from 'pino';
import type { DecodedEvent } from './decodeEvent';
import { settleMessage, type SettleEffects, type SettlePolicy } from './settleMessage';

const log = pino({ level: 'silent' });

class Unavailable extends Error {}

/** A policy over an in-memory decode and a scripted handler; effects that record what happened. */
function harness(decoded: DecodedEvent<string>, script: (attempt: number) => string | Error) {
  let attempts = 0;
  const letters: { reason: string; attempts: number; error: unknown }[] = [];
  const waits: number[] = [];
  const retries: string[] = [];
  let stopping = false;
  const policy: SettlePolicy<string> = {
    decode: () => decoded,
    handle: async () => {
      const result = script(++attempts);
      if (result instanceof Error) throw result;
      return result;
    },
    isTransient: (err) => err instanceof Unavailable,
    maxAttempts: 3,
    retryBackoffMs: 100,
    retryMaxBackoffMs: 400,
  };
  const effects: SettleEffects = {
    wait: async (ms) => {
      waits.push(ms);
    },
    deadLetter: async (letter) => {
      letters.push(letter);
    },
    isStopping: () => stopping,
    log,
    onRetry: (cause) => retries.push(cause),
  };
  return {
    settle: () => settleMessage(Buffer.from('x'), policy, effects),
    attempts: () => attempts,
    letters,
    waits,
    retries,
    stop: () => (stopping = true),
  };
}

describe('settling one message', () => {
  test('a handled event settles with the handler’s outcome, without retry or dead letter', async () => {
    const h = harness({ kind: 'event', event: 'e' }, () => 'created');
    await expect(h.settle()).resolves.toBe('created');
    expect(h.letters).toEqual([]);
    expect(h.waits).toEqual([]);
  });

  test('a skipped event is not handled and not dead-lettered', async () => {
    const h = harness({ kind: 'skip', eventType: 'Other' }, () => 'created');
    await expect(h.settle()).resolves.toBe('ignored');
    expect(h.attempts()).toBe(0);
    expect(h.letters).toEqual([]);
  });

  test('poison is dead-lettered at once, never handled', async () => {
    const h = harness({ kind: 'poison', reason: 'not JSON' }, () => 'created');
    await expect(h.settle()).resolves.toBe('dead_lettered');
    expect(h.attempts()).toBe(0);
    expect(h.letters).toEqual([
      { reason: 'poison', attempts: 1, error: expect.objectContaining({ message: 'not JSON' }) },
    ]);
  });

  test('a transient failure is retried past maxAttempts with capped backoff and never dead-lettered', async () => {
    const h = harness({ kind: 'event', event: 'e' }, (n) => (n <= 6 ? new Unavailable() : 'ok'));
    await expect(h.settle()).resolves.toBe('ok');
    expect(h.attempts()).toBe(7);
    expect(h.waits).toEqual([100, 200, 400, 400, 400, 400]);
    expect(h.retries).toEqual(Array(6).fill('unavailable'));
    expect(h.letters).toEqual([]);
  });

  test('any other failure is retried, then dead-lettered after maxAttempts', async () => {
    const h = harness({ kind: 'event', event: 'e' }, () => new Error('rejected'));
    await expect(h.settle()).resolves.toBe('dead_lettered');
    expect(h.attempts()).toBe(3);
    expect(h.waits).toEqual([100, 200]);
    expect(h.letters).toEqual([
      {
        reason: 'processing-failed',
        attempts: 3,
        error: expect.objectContaining({ message: 'rejected' }),
      },
    ]);
  });

  test('transient failures do not count towards maxAttempts', async () => {
    const script = (n: number) =>
      n % 2 === 1 && n < 8 ? new Unavailable() : n < 8 ? new Error('odd') : 'ok';
    const h = harness({ kind: 'event', event: 'e' }, script);
    // attempts 1,3,5,7 transient; 2,4,6 count (3 = maxAttempts) → dead-lettered at attempt 6.
    await expect(h.settle()).resolves.toBe('dead_lettered');
    expect(h.attempts()).toBe(6);
  });

  test('a failure while stopping is thrown: the message stays uncommitted', async () => {
    const h = harness({ kind: 'event', event: 'e' }, () => {
      h.stop();
      return new Unavailable();
    });
    await expect(h.settle()).rejects.toBeInstanceOf(Unavailable);
    expect(h.letters).toEqual([]);
  });
});
