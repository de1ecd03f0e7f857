import type { Logger } from 'pino';
import type { SettledConsumer } from './settledConsumer';

export interface SupervisedConsumer {
  /** Whether a consumer is running now (false while Kafka is unreachable). */
  isRunning: () => boolean;
  /** Resolves after the first start attempt, successful or not. */
  firstAttempt: Promise<void>;
  /**
   * Stops the running consumer and any further attempt. A start already under way is not
   * waited for (kafkajs may spend its whole retry budget on an unreachable broker, longer than a
   * shutdown may take): it is abandoned through the signal and cleans up after itself.
   */
  stop: () => Promise<void>;
}

export interface SuperviseOptions {
  logger: Logger;
  /** Names the consumer in logs. */
  name: string;
  /** Pause after the first failed start; it doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * A start that has neither succeeded nor failed by then is abandoned and tried anew (default
   * 45 s). kafkajs bounds each request, but a start has been seen to hang for minutes without
   * joining its group or failing (one instance of the scale-out e2e), which would otherwise
   * leave that instance consuming nothing for the rest of its life. While the broker is down a
   * start can use kafkajs's whole retry budget (about a minute, shared/src/kafka.ts), so the
   * abandoned attempt may still be retrying beside the next one: it gives up by itself, and what
   * it connects after being abandoned is released.
   */
  startTimeoutMs?: number;
}

/**
 * Keeps a consumer running for the life of a service: starts it, and when the start fails
 * (Kafka unreachable, topic missing) or kafkajs gives up on it after a crash it does not restart
 * from, starts a new one after a capped backoff. The service meanwhile serves whatever does not
 * need Kafka; `isRunning` tells readiness and metrics whether events are being consumed.
 */
export function superviseConsumer(
  start: (signal: AbortSignal) => Promise<SettledConsumer>,
  options: SuperviseOptions,
): SupervisedConsumer {
  const initialBackoffMs = options.initialBackoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const startTimeoutMs = options.startTimeoutMs ?? 45_000;
  const log = options.logger.child({ component: 'consumer-supervisor', consumer: options.name });
  const abort = new AbortController();
  let current: SettledConsumer | undefined;
  let wake: (() => void) | undefined;
  let markFirstAttempt!: () => void;
  const firstAttempt = new Promise<void>((resolve) => (markFirstAttempt = resolve));

  const backoff = (failures: number) =>
    Math.min(initialBackoffMs * 2 ** (failures - 1), maxBackoffMs);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (abort.signal.aborted) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /**
   * One start attempt, abandoned after `ms`: its own signal is aborted (the start then releases
   * what it connected), and should it still succeed later, that consumer is stopped at once.
   */
  async function startWithin(ms: number): Promise<SettledConsumer> {
    const attempt = new AbortController();
    const forward = () => attempt.abort();
    abort.signal.addEventListener('abort', forward, { once: true });
    let abandoned = false;
    let timer: NodeJS.Timeout | undefined;
    const pending = start(attempt.signal);
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        attempt.abort();
        reject(new Error(`the consumer did not start within ${ms} ms; abandoned`));
      }, ms);
    });
    pending.then(
      (late) => void (abandoned ? late.stop().catch(() => undefined) : undefined),
      () => undefined,
    );
    try {
      return await Promise.race([pending, timedOut]);
    } finally {
      clearTimeout(timer);
      abort.signal.removeEventListener('abort', forward);
    }
  }

  let starting = false;
  async function supervise(): Promise<void> {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        starting = true;
        const consumer = await startWithin(startTimeoutMs).finally(() => (starting = false));
        current = consumer;
        markFirstAttempt();
        failures = 0;
        if (!abort.signal.aborted) {
          await Promise.race([
            consumer.ended,
            new Promise((resolve) =>
              abort.signal.addEventListener('abort', resolve, { once: true }),
            ),
          ]);
        }
        if (abort.signal.aborted) return await consumer.stop();
        failures = 1;
        log.error('consumer stopped after a crash kafkajs does not restart from; starting anew');
      } catch (err) {
        markFirstAttempt();
        if (abort.signal.aborted) return;
        failures++;
        log.error({ err, retryInMs: backoff(failures) }, 'consumer could not start; will retry');
      }
      await pause(backoff(failures));
    }
  }
  const supervising = supervise();

  return {
    isRunning: () => current?.isRunning() ?? false,
    firstAttempt,
    stop: async () => {
      abort.abort();
      wake?.();
      // The loop stops the running consumer on its way out; a start under way is left to it.
      if (!starting) await supervising;
    },
  };
}
