import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@shop/shared';
import { protos } from '../protos';
import { connectClient, createGrpcCaller, hasStatus, type ResponseOf } from './grpcCall';

/**
 * What the orders service's cancellation consumer needs from the stubs: a refund and a restock,
 * both idempotent per checkout id, so a redelivered OrderCancelled repeats them harmlessly.
 * Outages surface as DependencyUnavailableError (retry), answers as the values below.
 */
export type RefundOutcome =
  | { kind: 'refunded'; paymentId: string }
  /** Nothing was ever charged for the checkout: nothing to give back. */
  | { kind: 'nothing_charged' }
  /** The provider said no; `reason` is its message, written for staff. */
  | { kind: 'refused'; reason: string };

export interface RefundPaymentClient {
  refund(checkoutId: string): Promise<RefundOutcome>;
  close(): void;
}

export interface RestockInventoryClient {
  restock(
    checkoutId: string,
    items: readonly { productId: string; quantity: number }[],
  ): Promise<{ restockedNow: boolean; nothingToReturn?: string }>;
  close(): void;
}

type PaymentDefinition = ReturnType<typeof protos.payment>['Payment']['service'];
type InventoryDefinition = ReturnType<typeof protos.inventory>['Inventory']['service'];

export function createRefundPaymentClient(
  address: string,
  deadlineMs: number,
  logger: Logger,
): RefundPaymentClient {
  const client = connectClient(protos.payment().Payment, address);
  const caller = createGrpcCaller('payment', deadlineMs, logger);
  return {
    async refund(checkoutId) {
      try {
        const res = await caller.call<ResponseOf<PaymentDefinition, 'Refund'>>(
          'Refund',
          (options, callback) => client.refund({ checkoutId }, options, callback),
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

export function createRestockInventoryClient(
  address: string,
  deadlineMs: number,
  logger: Logger,
): RestockInventoryClient {
  const client = connectClient(protos.inventory().Inventory, address);
  const caller = createGrpcCaller('inventory', deadlineMs, logger);
  return {
    async restock(checkoutId, items) {
      try {
        const res = await caller.call<ResponseOf<InventoryDefinition, 'Restock'>>(
          'Restock',
          (options, callback) =>
            client.restock({ checkoutId, items: [...items] }, options, callback),
        );
        return { restockedNow: res.restockedNow };
      } catch (err) {
        // The warehouse holds no sold units for this checkout (never reserved, or the stock
        // already went back when its reservation expired or was released): nothing to return.
        if (
          hasStatus(err, grpc.status.NOT_FOUND) ||
          hasStatus(err, grpc.status.FAILED_PRECONDITION)
        ) {
          return { restockedNow: false, nothingToReturn: err.details };
        }
        throw err;
      }
    },
    close: () => client.close(),
  };
}
