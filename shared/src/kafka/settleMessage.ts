import type { Logger } from 'pino';
import type { DecodedEvent } from './decodeEvent';
import type { DeadLetterSource } from './deadLetter';

/** Why a message is being retried: the store is out (retried without limit) or it failed. */
export type RetryCause = 'unavailable' | 'processing_error';

/** What a consumer does with its messages; the rules of settleMessage do the rest. */
export interface SettlePolicy<T> {
  /** Turns a message value into an event to handle, one to skip, or poison. */
  decode: (value: Buffer | null) => DecodedEvent<T>;
  /**
   * Applies one event and resolves to an outcome label (for metrics, e.g. `created`,
   * `duplicate`). Must be idempotent: the same event may arrive again after a crash or a
   * rebalance, and is then retried until it resolves.
   */
  handle: (event: T) => Promise<string>;
  /**
   * True for a failure that is not the message's fault (its database is unreachable): retried
   * with backoff for as long as it takes, never dead-lettered. During an outage every message
   * would fail alike, so dead-lettering would only empty the topic into the dead-letter topic.
   */
  isTransient: (err: unknown) => boolean;
  /** Attempts for any other failure (data the store rejects, a bug), then dead-lettered. */
  maxAttempts: number;
  /** First retry delay; doubles per retry up to retryMaxBackoffMs. */
  retryBackoffMs: number;
  retryMaxBackoffMs: number;
}

/** What settling needs from the consumer it runs in (kafkajs in settledConsumer, fakes in tests). */
export interface SettleEffects {
  /** Waits before a retry; throws when the consumer stops meanwhile. */
  wait: (ms: number) => Promise<void>;
  /** Writes the dead letter and resolves once Kafka has it; throws when the consumer stops. */
  deadLetter: (letter: Pick<DeadLetterSource, 'reason' | 'error' | 'attempts'>) => Promise<void>;
  isStopping: () => boolean;
  /** Carries the message's partition and offset. */
  log: Logger;
  onRetry?: (cause: RetryCause) => void;
}

export function retryDelay(
  policy: Pick<SettlePolicy<unknown>, 'retryBackoffMs' | 'retryMaxBackoffMs'>,
  retry: number,
): number {
  return Math.min(policy.retryBackoffMs * 2 ** (retry - 1), policy.retryMaxBackoffMs);
}

/**
 * Settles one message: resolves with its outcome once its offset may be committed (it was
 * handled, skipped, or its dead-letter copy is safe in Kafka), throws when it must stay
 * uncommitted and be delivered again (the consumer is stopping).
 *
 * Three kinds of failure, because they need opposite handling: poison goes to the dead-letter
 * topic at once (no retry can help) and the partition moves on; a transient failure is retried
 * without limit (the message is fine, the store is not); anything else is retried maxAttempts
 * times, then dead-lettered so that one bad message cannot block its partition for ever.
 */
export async function settleMessage<T>(
  value: Buffer | null,
  policy: SettlePolicy<T>,
  effects: SettleEffects,
): Promise<string> {
  const { log } = effects;
  const decoded = policy.decode(value);
  if (decoded.kind === 'skip') {
    log.debug({ eventType: decoded.eventType }, 'an event this consumer does not handle; skipped');
    return 'ignored';
  }
  if (decoded.kind === 'poison') {
    log.warn({ reason: decoded.reason }, 'poison message; dead-lettering it');
    await effects.deadLetter({ reason: 'poison', error: new Error(decoded.reason), attempts: 1 });
    return 'dead_lettered';
  }
  let failures = 0; // failures that count towards maxAttempts (transient ones do not)
  let outageRetries = 0;
  for (;;) {
    try {
      return await policy.handle(decoded.event);
    } catch (err) {
      if (effects.isStopping()) throw err;
      if (policy.isTransient(err)) {
        outageRetries++;
        effects.onRetry?.('unavailable');
        log.warn(
          { err, retry: outageRetries },
          'store unavailable; retrying the message until it is back',
        );
        await effects.wait(retryDelay(policy, outageRetries));
        continue;
      }
      failures++;
      if (failures >= policy.maxAttempts) {
        log.error({ err, attempts: failures }, 'message failed every attempt; dead-lettering it');
        await effects.deadLetter({ reason: 'processing-failed', error: err, attempts: failures });
        return 'dead_lettered';
      }
      effects.onRetry?.('processing_error');
      log.warn({ err, attempt: failures }, 'processing failed; retrying');
      await effects.wait(retryDelay(policy, failures));
    }
  }
}
