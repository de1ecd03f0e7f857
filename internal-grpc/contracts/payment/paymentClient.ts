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

/** The payment stub as the saga sees it; every method is idempotent per checkout id. */
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
  /** Refunds the checkout's charge; a no-op when it was never charged. */
  refund(checkoutId: string): Promise<void>;
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
            client.getCharge(
              {
                checkoutId,
              },
              options,
              callback,
            ),
          ),
        );
      } catch (err) {
        if (hasStatus(err, grpc.status.NOT_FOUND)) return undefined;
        throw err;
      }
    },
    async refund(checkoutId) {
      await caller.call<PaymentResponse<'Refund'>>('Refund', (options, callback) =>
        client.refund({ checkoutId }, options, callback),
      );
    },
    close: () => client.close(),
  };
}
