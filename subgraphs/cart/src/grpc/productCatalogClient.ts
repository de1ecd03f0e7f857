/**
 * The product catalog over gRPC (ProductCatalog.GetProducts): does a product exist, what does
 * it cost. Each call has a deadline and goes through an opossum breaker, so a catalog outage
 * costs a shopper at most one deadline and then fails fast as SERVICE_UNAVAILABLE; the cart
 * never accepts a product it could not check.
 */
import * as grpc from '@grpc/grpc-js';
import DataLoader from 'dataloader';
import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import { deadline, protos, type ProductCatalogClient } from '@shop/internal-grpc';
import { DEFAULT_CURRENCY, parseCents, serviceUnavailable } from '@shop/shared';
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

/** Outage-like gRPC statuses: the catalog is down, overloaded or too slow. */
const OUTAGE = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

const isOutage = (err: unknown) =>
  OUTAGE.has((err as { code?: number }).code ?? -1) ||
  (err as { code?: string }).code === 'EOPENBREAKER' ||
  (err as { code?: string }).code === 'ETIMEDOUT';

const UNAVAILABLE_MESSAGE =
  'The product catalog is not answering, so the cart cannot check products or prices right now; try again in a moment.';

export function createProductCatalog(options: {
  address: string;
  deadlineMs: number;
  logger: Logger;
  breakerResetMs?: number;
}): ProductCatalog {
  const logger = options.logger.child({ component: 'productCatalog' });
  const client = new (protos.product().ProductCatalog)(
    options.address,
    grpc.credentials.createInsecure(),
  ) as unknown as ProductCatalogClient;

  const call = (ids: string[]) =>
    new Promise<Map<string, CatalogProduct>>((resolve, reject) => {
      client.GetProducts({ ids }, { deadline: deadline(options.deadlineMs) }, (err, res) => {
        if (err || !res) return reject(err ?? new Error('empty GetProducts response'));
        const found = new Map<string, CatalogProduct>();
        for (const p of res.products) {
          found.set(p.id, {
            id: p.id,
            name: p.name,
            priceCents: parseCents(p.price),
            currencyCode: p.currencyCode || DEFAULT_CURRENCY,
          });
        }
        resolve(found);
      });
    });

  const breaker = new CircuitBreaker(call, {
    name: 'product-catalog',
    timeout: false, // the gRPC deadline bounds each call
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    resetTimeout: options.breakerResetMs ?? 5000,
    // Only outages count towards opening; a bad request says nothing about availability.
    errorFilter: (err: unknown) => !isOutage(err),
  });
  breaker.on('open', () => logger.warn('product catalog breaker open: failing fast'));
  breaker.on('close', () => logger.info('product catalog breaker closed'));

  return {
    async getProducts(ids) {
      if (ids.length === 0) return new Map();
      try {
        const found = await breaker.fire([...ids]);
        catalogLookups.inc({ result: 'ok' });
        return found;
      } catch (err) {
        if (isOutage(err)) {
          catalogLookups.inc({ result: 'unavailable' });
          if ((err as { code?: string }).code !== 'EOPENBREAKER') {
            logger.warn({ err: (err as Error).message }, 'product catalog unavailable');
          }
          throw serviceUnavailable(UNAVAILABLE_MESSAGE);
        }
        catalogLookups.inc({ result: 'error' });
        throw err;
      }
    },
    close() {
      breaker.shutdown();
      client.close();
    },
  };
}

/**
 * One loader per request: every product a request needs (validation, each line's price, the
 * subtotal) is fetched in one GetProducts call, whatever the number of lines.
 */
export type ProductLoader = DataLoader<string, CatalogProduct | null>;

export function createProductLoader(catalog: ProductCatalog): ProductLoader {
  return new DataLoader(async (ids) => {
    const found = await catalog.getProducts(ids);
    return ids.map((id) => found.get(id) ?? null);
  });
}
