import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout, one logger per service; `service` is on every line for aggregation. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'authorization', '*.authorization'],
  });
}
