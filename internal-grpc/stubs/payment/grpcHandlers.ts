import * as grpc from '@grpc/grpc-js';
import { DEFAULT_CURRENCY, formatCents, parseCents, type Logger } from '@shop/shared';
import { grpcError } from '../../src/server';
import type { ChargeRequest as WireChargeRequest } from '../../src/__generated__/shop/payment/v1/ChargeRequest';
import type { ChargeResponseInput } from '../../src/__generated__/shop/payment/v1/ChargeResponse';
import type { PaymentHandlers } from '../../src/__generated__/shop/payment/v1/Payment';
import {
  ChargeMismatchError,
  DECLINE_MESSAGES,
  InvalidChargeRequestError,
  RefundRefusedError,
  type ChargeBook,
  type ChargeRecord,
  type ChargeRequest,
} from './chargeBook';
import type { PaymentMetrics } from './paymentMetrics';

/**
 * Translates between the wire and the charge book; the rules live in chargeBook.ts. A decline
 * is an answer (status DECLINED), not a gRPC error: errors are for bad requests and failures
 * of the stub itself, so a client can retry an error but must not retry a decline.
 */
export function createPaymentHandlers(
  book: ChargeBook,
  { logger, metrics }: { logger: Logger; metrics: PaymentMetrics },
): PaymentHandlers {
  /** Runs a book call and answers with its result, or with the gRPC status its error means. */
  function answer<T>(callback: grpc.sendUnaryData<T>, work: () => Promise<T>): void {
    work().then(
      (result) => callback(null, result),
      (err: unknown) => callback(toServiceError(err, logger)),
    );
  }

  return {
    Charge: (call, callback) =>
      answer(callback, async () => {
        let request: ChargeRequest;
        let outcome: Awaited<ReturnType<ChargeBook['charge']>>;
        try {
          request = fromWire(call.request);
          outcome = await book.charge(request);
        } catch (err) {
          metrics.chargeCalls.inc({ kind: 'rejected' });
          throw err;
        }
        metrics.chargeCalls.inc({ kind: outcome.repeated ? 'repeat' : 'first' });
        return toWire(outcome.record);
      }),

    GetCharge: (call, callback) =>
      answer(callback, async () => {
        const record = await book.get(call.request.checkoutId);
        if (!record) {
          throw grpcError(
            grpc.status.NOT_FOUND,
            `no charge for checkout ${call.request.checkoutId}`,
          );
        }
        return toWire(record);
      }),

    Refund: (call, callback) =>
      answer(callback, async () => {
        const refund = await book.refund(call.request.checkoutId);
        // Never charged: nothing to give back.
        if (!refund) {
          return {
            paymentId: '',
            status: 'CHARGE_STATUS_UNSPECIFIED' as const,
            refundRequests: 0,
            refundedAmount: '0.00',
          };
        }
        if (refund.refundedNow) {
          metrics.refunds.inc();
          const { checkoutId, paymentId, amountCents } = refund.record;
          logger.info({ checkoutId, paymentId, amount: formatCents(amountCents) }, 'refunded');
        }
        return {
          paymentId: refund.record.paymentId,
          status: refund.record.status,
          refundRequests: refund.record.refundRequests,
          refundedAmount: formatCents(refund.record.refundedCents),
        };
      }),
  };
}

function fromWire(request: WireChargeRequest): ChargeRequest {
  let amountCents: number;
  try {
    amountCents = parseCents(request.amount);
  } catch {
    throw new InvalidChargeRequestError(
      `amount must be a decimal string with at most 2 places, e.g. "1329.98", got "${request.amount}"`,
    );
  }
  return {
    checkoutId: request.checkoutId,
    userId: request.userId,
    amountCents,
    currencyCode: request.currencyCode || DEFAULT_CURRENCY,
    paymentMethod: request.paymentMethod,
  };
}

function toWire(record: ChargeRecord): ChargeResponseInput {
  return {
    paymentId: record.paymentId,
    status: record.status,
    declineCode: record.declineCode ?? '',
    declineMessage: record.declineCode ? DECLINE_MESSAGES[record.declineCode] : '',
    amount: formatCents(record.amountCents),
    currencyCode: record.currencyCode,
    chargedAmount: formatCents(record.chargedCents),
    chargeRequests: record.requests,
    refundedAmount: formatCents(record.refundedCents),
    refundRequests: record.refundRequests,
  };
}

function toServiceError(err: unknown, logger: Logger): grpc.ServiceError {
  if (isServiceError(err)) return err;
  if (err instanceof InvalidChargeRequestError) {
    return grpcError(grpc.status.INVALID_ARGUMENT, err.message);
  }
  if (err instanceof RefundRefusedError) {
    logger.warn({ err }, 'refund refused');
    return grpcError(grpc.status.FAILED_PRECONDITION, err.message);
  }
  if (err instanceof ChargeMismatchError) {
    logger.warn({ err }, 'charge repeated with a different request');
    return grpcError(grpc.status.ALREADY_EXISTS, err.message);
  }
  logger.error({ err }, 'payment call failed');
  return grpcError(grpc.status.INTERNAL, 'payment failed unexpectedly; see its logs');
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}
