import * as grpc from '@grpc/grpc-js';
import { protos } from '../../src/protos';
import {
  connectClient,
  createGrpcCaller,
  hasStatus,
  type GrpcCaller,
  type ResponseOf,
} from '../../src/grpcCall';
import type { Logger } from '@shop/shared';

export interface ChargeOutcome {
  paymentId: string;
  status: 'SUCCEEDED' | 'DECLINED' | 'REFUNDED' | 'UNKNOWN';
  declineCode: string;
  declineMessage: string;
}

/**
 * How a refund ended. Outages are not outcomes: they surface as DependencyUnavailableError (retry).
 */
export type RefundOutcome =
  | { kind: 'refunded'; paymentId: string }
  /** Nothing was ever charged for the checkout: nothing to give back. */
  | { kind: 'nothing_charged' }
  /** The provider said no; `reason` is its message, written for staff. */
  | { kind: 'refused'; reason: string };

/**
 * The payment stub as the checkout saga and the orders cancellation consumer see it; every
 * method is idempotent per checkout id, so a retried step or a redelivered event repeats harmlessly.
 */
export interface PaymentClient {
  charge(request: {
    checkoutId: string;
    userId: string;
    amount: string;
    currencyCode: string;
    paymentMethod: string;
  }): Promise<ChargeOutcome>;
  /** What happened to the checkout's charge; undefined when it was never charged. */
  getCharge(checkoutId: string): Promise<ChargeOutcome | undefined>;
  /** Refunds the checkout's charge once; `nothing_charged` when it was never charged. */
  refund(checkoutId: string): Promise<RefundOutcome>;
  caller: GrpcCaller;
  close(): void;
}

/** The service definition; its method types give the response types. */
type Definition = ReturnType<typeof protos.payment>['Payment']['service'];
type PaymentResponse<M extends string> = ResponseOf<Definition, M & keyof Definition>;

export function createPaymentClient(
  address: string,
  deadlineMs: number,
  logger: Logger,
): PaymentClient {
  const client = connectClient(protos.payment().Payment, address);
  const caller = createGrpcCaller('payment', deadlineMs, logger);

  const outcome = (res: {
    paymentId: string;
    status: string | number;
    declineCode: string;
    declineMessage: string;
  }): ChargeOutcome => ({
    paymentId: res.paymentId,
    status:
      res.status === 'SUCCEEDED' || res.status === 'DECLINED' || res.status === 'REFUNDED'
        ? res.status
        : 'UNKNOWN',
    declineCode: res.declineCode,
    declineMessage: res.declineMessage,
  });

  return {
    caller,
    async charge(request) {
      return outcome(
        await caller.call<PaymentResponse<'Charge'>>('Charge', (options, callback) =>
          client.charge(request, options, callback),
        ),
      );
    },
    async getCharge(checkoutId) {
      try {
        return outcome(
          await caller.call<PaymentResponse<'GetCharge'>>('GetCharge', (options, callback) =>
            client.getCharge({ checkoutId }, options, callback),
          ),
        );
      } catch (err) {
        if (hasStatus(err, grpc.status.NOT_FOUND)) return undefined;
        throw err;
      }
    },
    async refund(checkoutId) {
      try {
        const res = await caller.call<PaymentResponse<'Refund'>>('Refund', (options, callback) =>
          client.refund({ checkoutId }, options, callback),
        );
        return res.paymentId
          ? { kind: 'refunded', paymentId: res.paymentId }
          : { kind: 'nothing_charged' };
      } catch (err) {
        if (hasStatus(err, grpc.status.FAILED_PRECONDITION)) {
          return { kind: 'refused', reason: err.details };
        }
        throw err;
      }
    },
    close: () => client.close(),
  };
}
