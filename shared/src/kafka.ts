import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

/** Topic names, in one place so producer and consumers cannot drift apart. */
export const Topics = {
  checkoutEvents: 'checkout-events',
  checkoutEventsDlq: 'checkout-events.dlq',
  orderEvents: 'order-events',
  orderEventsDlq: 'order-events.dlq',
} as const;

const pinoLevel: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
  [KafkaLogLevel.NOTHING]: 'debug',
};

/**
 * A kafkajs client whose logs go through the service's pino logger, with retries that keep
 * trying for about a minute: a broker restart should slow us down, not crash us.
 */
export function createKafka(
  options: { clientId: string; brokers: string[]; logger: Logger } & Partial<KafkaConfig>,
): Kafka {
  const { logger, ...config } = options;
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return new Kafka({
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log, namespace }: LogEntry) => {
        const { message, ...extra } = log;
        kafkaLogger[pinoLevel[level] ?? 'info']({ namespace, ...extra }, message);
      },
    ...config,
  });
}
