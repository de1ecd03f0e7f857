import * as grpc from '@grpc/grpc-js';
import { protos } from '../../src/protos';
import {
  connectClient,
  createGrpcCaller,
  hasStatus,
  type GrpcCaller,
  type ResponseOf,
} from '../../src/grpcCall';
import { readInsufficientStock, type Shortage } from './insufficientStock';
import type { Logger } from '@shop/shared';

export type ReservationStatus = 'ACTIVE' | 'CONFIRMED' | 'RELEASED' | 'EXPIRED' | 'UNKNOWN';

export type { Shortage };

/** Reserve said no: not enough of these products; nothing was reserved. */
export class InsufficientStockError extends Error {
  override readonly name = 'InsufficientStockError';
  constructor(readonly shortages: Shortage[]) {
    super('insufficient stock');
  }
}

/** Confirm came too late: the reservation expired or was released, its stock is gone. */
export class ReservationGoneError extends Error {
  override readonly name = 'ReservationGoneError';
}

/** Release was refused because the reservation is CONFIRMED: the stock is sold. */
export class ReservationSoldError extends Error {
  override readonly name = 'ReservationSoldError';
}

/**
 * The inventory stub as its three callers see it: the checkout saga (reserve, confirm, release),
 * the orders cancellation consumer (restock) and the product subgraph (availability). Every
 * write is idempotent per checkout id.
 */
export interface InventoryClient {
  reserve(
    checkoutId: string,
    items: { productId: string; quantity: number }[],
  ): Promise<{ reservationId: string; status: ReservationStatus }>;
  confirm(checkoutId: string): Promise<{ reservationId: string }>;
  /** Gives the stock back; fine for a checkout that never reserved anything. */
  release(checkoutId: string): Promise<void>;
  /**
   * Returns a cancelled order's sold units once; `nothingToReturn` says why nothing moved when
   * the warehouse holds no sold units for the checkout.
   */
  restock(
    checkoutId: string,
    items: readonly { productId: string; quantity: number }[],
  ): Promise<{ restockedNow: boolean; nothingToReturn?: string }>;
  /**
   * Units free to reserve now (on hand minus active reservations) for every id asked, in ONE
   * GetAvailability call; unstocked products read 0.
   */
  availability(productIds: readonly string[]): Promise<Map<string, number>>;
  caller: GrpcCaller;
  close(): void;
}

/** The service definition; its method types give the response types. */
type Definition = ReturnType<typeof protos.inventory>['Inventory']['service'];
type InventoryResponse<M extends string> = ResponseOf<Definition, M & keyof Definition>;

export function createInventoryClient(
  address: string,
  deadlineMs: number,
  logger: Logger,
): InventoryClient {
  const client = connectClient(protos.inventory().Inventory, address);
  const caller = createGrpcCaller('inventory', deadlineMs, logger);

  return {
    caller,
    async reserve(checkoutId, items) {
      try {
        const res = await caller.call<InventoryResponse<'Reserve'>>(
          'Reserve',
          (options, callback) => client.reserve({ checkoutId, items }, options, callback),
        );
        return { reservationId: res.reservationId, status: statusOf(res.status) };
      } catch (err) {
        if (hasStatus(err, grpc.status.FAILED_PRECONDITION)) {
          throw new InsufficientStockError(readInsufficientStock(err) ?? []);
        }
        throw err;
      }
    },
    async confirm(checkoutId) {
      try {
        const res = await caller.call<InventoryResponse<'Confirm'>>(
          'Confirm',
          (options, callback) => client.confirm({ checkoutId }, options, callback),
        );
        return { reservationId: res.reservationId };
      } catch (err) {
        // NOT_FOUND: nothing was ever reserved for this checkout, which is just as gone.
        if (hasStatus(err, grpc.status.FAILED_PRECONDITION, grpc.status.NOT_FOUND))
          throw new ReservationGoneError(err.details);
        throw err;
      }
    },
    async release(checkoutId) {
      try {
        await caller.call<InventoryResponse<'Release'>>('Release', (options, callback) =>
          client.release({ checkoutId }, options, callback),
        );
      } catch (err) {
        if (hasStatus(err, grpc.status.FAILED_PRECONDITION))
          throw new ReservationSoldError(err.details);
        throw err;
      }
    },
    async restock(checkoutId, items) {
      try {
        const res = await caller.call<InventoryResponse<'Restock'>>(
          'Restock',
          (options, callback) =>
            client.restock({ checkoutId, items: [...items] }, options, callback),
        );
        return { restockedNow: res.restockedNow };
      } catch (err) {
        // The warehouse holds no sold units for this checkout (never reserved, or the stock
        // already went back when its reservation expired or was released): nothing to return.
        if (hasStatus(err, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION)) {
          return { restockedNow: false, nothingToReturn: err.details };
        }
        throw err;
      }
    },
    async availability(productIds) {
      const res = await caller.call<InventoryResponse<'GetAvailability'>>(
        'GetAvailability',
        (options, callback) =>
          client.getAvailability({ productIds: [...productIds] }, options, callback),
      );
      return new Map(res.products.map((p) => [p.productId, p.quantityAvailable]));
    },
    close: () => client.close(),
  };
}

function statusOf(status: string | number): ReservationStatus {
  return status === 'ACTIVE' ||
    status === 'CONFIRMED' ||
    status === 'RELEASED' ||
    status === 'EXPIRED'
    ? status
    : 'UNKNOWN';
}
