import { z } from 'zod';
import { ConfigError, loadConfig } from '@shop/shared';
import {
  blankAsUnset,
  stubListenConfig,
  stubListenShape,
  type StubListenConfig,
} from '../runtime/config';

const milliseconds = (fallback: number) =>
  blankAsUnset(z.coerce.number().int().min(0).default(fallback));

/** Every variable of the payment stub; code reads the camelCase PaymentConfig below. */
const shape = {
  ...stubListenShape(50054),
  /** Simulated provider latency per first charge, uniform in [min, max]; tests set both to 0. */
  PAYMENT_DELAY_MIN_MS: milliseconds(1_000),
  PAYMENT_DELAY_MAX_MS: milliseconds(2_000),
  /** Probability that a charge with a non-deterministic token succeeds; tests set 1. */
  PAYMENT_SUCCESS_RATE: blankAsUnset(
    z.coerce
      .number()
      .min(0, 'must be between 0 and 1')
      .max(1, 'must be between 0 and 1')
      .default(0.95),
  ),
};

export interface PaymentConfig extends StubListenConfig {
  /** Simulated provider latency per first charge, uniform in [min, max]. */
  delayMs: { min: number; max: number };
  /** Probability that a charge with a non-deterministic token succeeds. */
  successRate: number;
}

/** Reads and validates the payment stub's variables; throws ConfigError naming each bad one. */
export function loadPaymentConfig(environment: NodeJS.ProcessEnv = process.env): PaymentConfig {
  const c = loadConfig(shape, environment);
  if (c.PAYMENT_DELAY_MAX_MS < c.PAYMENT_DELAY_MIN_MS) {
    throw new ConfigError([
      `PAYMENT_DELAY_MAX_MS: must be at least PAYMENT_DELAY_MIN_MS (${c.PAYMENT_DELAY_MIN_MS}) (got ${JSON.stringify(environment.PAYMENT_DELAY_MAX_MS ?? String(c.PAYMENT_DELAY_MAX_MS))})`,
    ]);
  }
  return {
    ...stubListenConfig(c),
    delayMs: { min: c.PAYMENT_DELAY_MIN_MS, max: c.PAYMENT_DELAY_MAX_MS },
    successRate: c.PAYMENT_SUCCESS_RATE,
  };
}
