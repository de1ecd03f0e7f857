/**
 * The product catalog over gRPC (ProductCatalog.GetProducts): does a product exist, what does
 * it cost. The client is the one every service shares (@shop/internal-grpc): each call has a
 * deadline and goes through a breaker, so a catalog outage costs a shopper at most one deadline
 * and then fails fast. What an outage means here is the cart's: SERVICE_UNAVAILABLE, and the
 * cart never accepts a product it could not check.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { createProductCatalogClient, DependencyUnavailableError } from '@shop/internal-grpc';
import { parseCents, serviceUnavailable } from '@shop/shared';
import { catalogLookups } from '../metrics';

export interface CatalogProduct {
  id: string;
  name: string;
  priceCents: number;
  currencyCode: string;
}

export interface ProductCatalog {
  /** The products that exist among `ids`; missing ids are absent from the map. */
  getProducts(ids: readonly string[]): Promise<Map<string, CatalogProduct>>;
  close(): void;
}

/**
 * Outage-like gRPC statuses: the catalog is down, overloaded or too slow. Only these count
 * towards opening the breaker; a bad request says nothing about availability.
 */
const OUTAGE = new Set<grpc.status>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

const UNAVAILABLE_MESSAGE =
  'The product catalog is not answering, so the cart cannot check products or prices right now; try again in a moment.';

export function createProductCatalog(options: {
  address: string;
  deadlineMs: number;
  logger: Logger;
  breakerResetMs?: number;
}): ProductCatalog {
  const logger = options.logger.child({ component: 'productCatalog' });
  const client = createProductCatalogClient(options.address, options.deadlineMs, logger, {
    resetTimeoutMs: options.breakerResetMs ?? 5000,
    unhealthyStatuses: OUTAGE,
  });

  return {
    async getProducts(ids) {
      if (ids.length === 0) return new Map();
      try {
        const { products } = await client.getProducts(ids);
        const found = new Map<string, CatalogProduct>();
        for (const p of products) {
          const { id, name, currencyCode } = p;
          found.set(id, { id, name, priceCents: parseCents(p.price), currencyCode });
        }
        catalogLookups.inc({ result: 'ok' });
        return found;
      } catch (err) {
        if (err instanceof DependencyUnavailableError) {
          catalogLookups.inc({ result: 'unavailable' });
          // A call the open breaker refused never left: the breaker logged its opening once.
          if (err.mayHaveApplied) logger.warn({ err: err.message }, 'product catalog unavailable');
          throw serviceUnavailable(UNAVAILABLE_MESSAGE);
        }
        catalogLookups.inc({ result: 'error' });
        throw err;
      }
    },
    close: () => client.close(),
  };
}
