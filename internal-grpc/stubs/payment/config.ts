import { z } from 'zod';
import { ConfigError, loadConfig } from '@shop/shared';
import { blankAsUnset, stubListenShape } from '../runtime/config';

const milliseconds = (fallback: number) =>
  blankAsUnset(z.coerce.number().int().min(0).default(fallback));

export const paymentConfigShape = {
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

export type PaymentConfig = z.infer<z.ZodObject<typeof paymentConfigShape>>;

/** Reads and validates the payment stub's variables; throws ConfigError naming each bad one. */
export function loadPaymentConfig(env: NodeJS.ProcessEnv = process.env): PaymentConfig {
  const config = loadConfig(paymentConfigShape, env);
  if (config.PAYMENT_DELAY_MAX_MS < config.PAYMENT_DELAY_MIN_MS) {
    throw new ConfigError([
      `PAYMENT_DELAY_MAX_MS: must be at least PAYMENT_DELAY_MIN_MS (${config.PAYMENT_DELAY_MIN_MS}) (got ${JSON.stringify(env.PAYMENT_DELAY_MAX_MS ?? String(config.PAYMENT_DELAY_MAX_MS))})`,
    ]);
  }
  return config;
}
