import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@shop/shared';
import { grpcError } from '../../src/server';
import type { InventoryHandlers } from '../../src/__generated__/shop/inventory/v1/Inventory';
import type { ReservationStatus as ProtoReservationStatus } from '../../src/__generated__/shop/inventory/v1/ReservationStatus';
import {
  INSUFFICIENT_STOCK_TRAILER,
  insufficientStockTrailer,
} from '../../contracts/inventory/insufficientStock';
import type { InventoryMetrics } from './inventoryMetrics';
import {
  InsufficientStockError,
  InvalidReservationRequestError,
  ReservationMismatchError,
  ReservationNotActiveError,
  ReservationNotFoundError,
  type Reservation,
  type StockLedger,
} from './stockLedger';

/** Translates between the wire and the ledger; the rules themselves live in stockLedger.ts. */
export function createInventoryHandlers(
  ledger: StockLedger,
  { logger, metrics }: { logger: Logger; metrics: InventoryMetrics },
): InventoryHandlers {
  /** Runs a ledger call and answers with its result, or with the gRPC status its error means. */
  function answer<T>(callback: grpc.sendUnaryData<T>, work: () => T): void {
    let result: T;
    try {
      result = work();
    } catch (err) {
      callback(toServiceError(err, logger));
      return;
    }
    callback(null, result);
  }

  return {
    GetStock: (call, callback) =>
      answer(callback, () => ({ levels: ledger.getStock(call.request.productIds) })),

    Reserve: (call, callback) =>
      answer(callback, () => {
        const { checkoutId, items } = call.request;
        try {
          const { reservation, repeated } = ledger.reserve(checkoutId, items);
          metrics.reserveCalls.inc({ outcome: repeated ? 'repeat' : 'reserved' });
          // Info, like payment's "charge settled": stock held for a checkout (until confirmed,
          // released or expired) is a change an operator follows a checkout by.
          logger.info(
            { checkoutId, reservationId: reservation.id, repeated, lines: items.length },
            'stock reserved',
          );
          return { ...wireReservation(reservation), expiresAt: iso(reservation.expiresAt) };
        } catch (err) {
          const outcome = err instanceof InsufficientStockError ? 'insufficient_stock' : 'rejected';
          metrics.reserveCalls.inc({ outcome });
          throw err;
        }
      }),

    Confirm: (call, callback) =>
      answer(callback, () => {
        return wireReservation(ledger.confirm(call.request.checkoutId));
      }),

    Release: (call, callback) =>
      answer(callback, () => {
        const reservation = ledger.release(call.request.checkoutId);
        // Nothing was ever held for this checkout, so there is nothing to give back.
        if (!reservation)
          return { reservationId: '', status: 'RESERVATION_STATUS_UNSPECIFIED' as const };
        return wireReservation(reservation);
      }),

    Restock: (call, callback) =>
      answer(callback, () => {
        const { checkoutId, items } = call.request;
        const result = ledger.restock(checkoutId, items);
        if (result.restockedNow) logger.info({ checkoutId, items }, 'cancelled order restocked');
        return { restockedNow: result.restockedNow, restockRequests: result.requests };
      }),

    GetAvailability: (call, callback) =>
      answer(callback, () => ({
        // An empty request asks about nothing (GetStock's "list everything" is not wanted here).
        products: (call.request.productIds.length
          ? ledger.getStock(call.request.productIds)
          : []
        ).map((level) => ({ productId: level.productId, quantityAvailable: level.available })),
      })),

    SetStock: (call, callback) =>
      answer(callback, () => {
        const level = ledger.setAvailable(call.request.productId, call.request.available);
        logger.info(level, 'stock set');
        return level;
      }),
  };
}

function wireReservation(reservation: Reservation): {
  reservationId: string;
  status: ProtoReservationStatus;
} {
  return { reservationId: reservation.id, status: reservation.status };
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function toServiceError(err: unknown, logger: Logger): grpc.ServiceError {
  if (err instanceof InsufficientStockError) {
    const error = grpcError(grpc.status.FAILED_PRECONDITION, err.message);
    error.metadata.set(INSUFFICIENT_STOCK_TRAILER, insufficientStockTrailer(err.shortages));
    return error;
  }
  if (err instanceof InvalidReservationRequestError) {
    return grpcError(grpc.status.INVALID_ARGUMENT, err.message);
  }
  if (err instanceof ReservationNotFoundError) return grpcError(grpc.status.NOT_FOUND, err.message);
  if (err instanceof ReservationNotActiveError) {
    return grpcError(grpc.status.FAILED_PRECONDITION, err.message);
  }
  if (err instanceof ReservationMismatchError) {
    logger.warn({ err }, 'reserve repeated with different items');
    return grpcError(grpc.status.ALREADY_EXISTS, err.message);
  }
  logger.error({ err }, 'inventory call failed');
  return grpcError(grpc.status.INTERNAL, 'inventory failed unexpectedly; see its logs');
}
