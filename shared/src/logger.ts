import pino, { type Logger } from 'pino';
import { currentRequestContext } from './telemetry/requestContext';

export type { Logger };

/**
 * Never logged, wherever they appear: credentials (bearer tokens, guest cart tokens), and the
 * customer's address (personal data). Paths are pino's (fast-redact).
 */
export const REDACTED_PATHS = [
  'authorization',
  'token',
  'password',
  'secret',
  'cookie',
  'shippingAddress',
  'connectionParams',
  'cartToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-cart-token"]',
  'headers["x-cart-token"]',
  '*.headers["x-cart-token"]',
  '["x-cart-token"]',
  '*["x-cart-token"]',
  '*.authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.cookie',
  '*.shippingAddress',
  '*.connectionParams',
  '*.cartToken',
  '*.*.cartToken',
  'variables.cartToken',
  '*.variables.cartToken',
];

/**
 * JSON logs on stdout, one logger per service; `service` is on every line for aggregation.
 * Lines written during a request carry `request_id` (and `user_id` once known); inside a span
 * the OpenTelemetry pino instrumentation adds `trace_id` and `span_id`.
 */
export function createLogger(
  service: string,
  level = process.env.LOG_LEVEL ?? 'info',
  /** Where lines go instead of stdout (tests read them back). */
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => {
      const request = currentRequestContext();
      if (!request) return {};
      return request.userId
        ? { request_id: request.requestId, user_id: request.userId }
        : { request_id: request.requestId };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
