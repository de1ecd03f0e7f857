import pino, { type Logger } from 'pino';
import { currentRequestContext } from './telemetry/requestContext';

export type { Logger };

/**
 * Never logged, wherever they appear: credentials, and the customer's address (personal data).
 * Paths are pino's (fast-redact) and match one level deep as well as at the top.
 */
export const REDACTED_PATHS = [
  'authorization',
  'token',
  'password',
  'secret',
  'cookie',
  'shippingAddress',
  'connectionParams',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.cookie',
  '*.shippingAddress',
  '*.connectionParams',
];

/**
 * JSON logs on stdout, one logger per service; `service` is on every line for aggregation.
 * Lines written during a request carry `request_id` (and `user_id` once known); inside a span
 * the OpenTelemetry pino instrumentation adds `trace_id` and `span_id`.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
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
  });
}
