import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'authorization',
  '*.authorization',
  'req.headers["x-cart-token"]',
  'headers["x-cart-token"]',
  '*.headers["x-cart-token"]',
  '["x-cart-token"]',
  '*["x-cart-token"]',
  'cartToken',
  '*.cartToken',
  '*.*.cartToken',
  'variables.cartToken',
  '*.variables.cartToken',
];

/** JSON logs on stdout, one logger per service; `service` is on every line for aggregation. */
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
    // Bearer tokens and guest cart tokens are credentials: never written, wherever they sit in
    // a log object (a request's headers, a logged GraphQL request's variables or arguments).
    redact: REDACTED_PATHS,
  };
  return destination ? pino(options, destination) : pino(options);
}
