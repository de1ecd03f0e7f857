import { createLogger, formatCents, type Logger } from '@shop/shared';
import { protos } from '../../src/protos';
import { listenStub } from '../runtime/listen';
import { ChargeBook, type ChargeBookOptions } from './chargeBook';
import type { PaymentConfig } from './config';
import { createPaymentHandlers } from './grpcHandlers';
import { createPaymentMetrics, type PaymentMetrics } from './paymentMetrics';

export interface PaymentServer {
  /** host:port for clients, e.g. PAYMENT_GRPC_URL. */
  address: string;
  port: number;
  /** The in-memory state, for in-process tests that want to look without a client. */
  book: ChargeBook;
  metrics: PaymentMetrics;
  /** Base URL of /health and /metrics when HTTP_PORT is set. */
  httpUrl: string | undefined;
  /** Lets in-flight charges finish (bounded by the server's 5 s), then closes the ports. */
  stop: () => Promise<void>;
}

/** Starts the payment stub in this process; `GRPC_PORT=0` binds a free port. */
export async function createPaymentServer(
  config: PaymentConfig,
  options: { logger?: Logger; random?: ChargeBookOptions['random'] } = {},
): Promise<PaymentServer> {
  const logger = options.logger ?? createLogger('payment', config.logLevel);
  const metrics = createPaymentMetrics(() => book.inFlight);
  const book = new ChargeBook({
    delayMs: config.delayMs,
    successRate: config.successRate,
    random: options.random,
    onSettled: (record) => {
      metrics.outcomes.inc({
        status: record.status.toLowerCase(),
        decline_code: record.declineCode ?? '',
      });
      metrics.chargedCents.inc(record.chargedCents);
      const { checkoutId, paymentId, status, declineCode } = record;
      const amount = formatCents(record.amountCents);
      logger.info({ checkoutId, paymentId, status, declineCode, amount }, 'charge settled');
    },
  });

  const handlers = createPaymentHandlers(book, { logger, metrics });
  const listeners = await listenStub({
    register: (server) => server.addService(protos.payment().Payment.service, handlers),
    config,
    registry: metrics.registry,
    logger,
  });

  const { address } = listeners;
  logger.info(
    {
      address,
      delayMs: [config.delayMs.min, config.delayMs.max],
      successRate: config.successRate,
    },
    'payment gRPC listening',
  );
  return {
    address,
    port: listeners.port,
    book,
    metrics,
    httpUrl: listeners.httpUrl,
    stop: async () => {
      await listeners.stop();
    },
  };
}
