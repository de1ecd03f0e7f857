import type { Logger } from '@shop/shared';
import { protos } from '../protos';
import { connectClient, createGrpcCaller, type ResponseOf } from './grpcCall';

/** The inventory stub as a storefront sees it: how many units of each product a shopper could take. */
export interface AvailabilityClient {
  /**
   * Units free to reserve now (on hand minus active reservations) for every id asked, in ONE
   * GetAvailability call; unstocked products read 0. Outages are DependencyUnavailableError.
   */
  availability(productIds: readonly string[]): Promise<Map<string, number>>;
  close(): void;
}

type InventoryDefinition = ReturnType<typeof protos.inventory>['Inventory']['service'];

export function createAvailabilityClient(
  address: string,
  deadlineMs: number,
  logger: Logger,
): AvailabilityClient {
  const client = connectClient(protos.inventory().Inventory, address);
  const caller = createGrpcCaller('inventory', deadlineMs, logger);
  return {
    async availability(productIds) {
      const res = await caller.call<ResponseOf<InventoryDefinition, 'GetAvailability'>>(
        'GetAvailability',
        (options, callback) =>
          client.getAvailability({ productIds: [...productIds] }, options, callback),
      );
      return new Map(res.products.map((p) => [p.productId, p.quantityAvailable]));
    },
    close: () => client.close(),
  };
}
