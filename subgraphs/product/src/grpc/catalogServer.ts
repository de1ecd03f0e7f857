import * as grpc from '@grpc/grpc-js';
import { formatCents } from '@shop/shared';
import { grpcError, protos, type Product } from '@shop/internal-grpc';
import type { ProductCatalogHandlers } from '@shop/internal-grpc/src/__generated__/shop/product/v1/ProductCatalog';
import type { Logger } from 'pino';
import { isStoreUnavailable } from '../data/outages';
import type { ProductRow, ProductStore } from '../data/productStore';

/** Bounds one call's SQL (an IN list) and response; a cart holds at most 50 distinct products. */
export const MAX_IDS_PER_CALL = 500;

/** The catalog as a gRPC message: strings for money, empty strings for absent text. */
export function toProtoProduct(row: ProductRow): Product {
  return {
    id: String(row.id),
    name: row.name,
    description: row.description ?? '',
    price: formatCents(row.priceCents),
    currencyCode: row.currency,
    imageUrl: row.imageUrl ?? '',
  };
}

/**
 * ProductCatalog (internal-grpc/proto/product.proto) for cart and checkout. Each call is one
 * SQL query however many ids it carries. Repeated ids are answered once, at their first
 * position, so responses stay in request order without duplicates.
 */
export function productCatalogHandlers(
  store: ProductStore,
  logger: Logger,
): ProductCatalogHandlers {
  const log = logger.child({ component: 'grpc-catalog' });

  /**
   * Runs the lookup, or answers INVALID_ARGUMENT, UNAVAILABLE (the catalog file is busy or
   * unreadable: callers retry and their breakers count it) or INTERNAL, without leaking the cause.
   */
  const lookup = <T>(
    method: string,
    requested: string[],
    respond: (ids: string[], found: Map<string, ProductRow>) => T,
    callback: grpc.sendUnaryData<T>,
  ) => {
    const ids = [...new Set(requested)];
    if (ids.length > MAX_IDS_PER_CALL) {
      callback(
        grpcError(
          grpc.status.INVALID_ARGUMENT,
          `${method} takes at most ${MAX_IDS_PER_CALL} distinct ids per call (got ${ids.length}); split the request.`,
        ),
      );
      return;
    }
    store.findByIds(ids).then(
      (found) => {
        // Debug: a read-only catalog has nothing to say per call at info (every cart view and
        // checkout reads it), but a debugging operator wants each lookup joined to its trace.
        log.debug({ method, ids: ids.length, missing: ids.length - found.size }, 'catalog lookup');
        callback(null, respond(ids, found));
      },
      (err: unknown) => {
        const unavailable = isStoreUnavailable(err);
        log.error({ err, method, ids: ids.length, unavailable }, 'catalog lookup failed');
        callback(
          grpcError(
            unavailable ? grpc.status.UNAVAILABLE : grpc.status.INTERNAL,
            'The product catalog could not be read; retry shortly.',
          ),
        );
      },
    );
  };

  return {
    GetProducts: (call, callback) =>
      lookup(
        'GetProducts',
        call.request.ids,
        (ids, found) => ({
          products: ids.flatMap((id) => {
            const row = found.get(id);
            return row ? [toProtoProduct(row)] : [];
          }),
          missingIds: ids.filter((id) => !found.has(id)),
        }),
        callback,
      ),
    ValidateProducts: (call, callback) =>
      lookup(
        'ValidateProducts',
        call.request.ids,
        (ids, found) => ({
          validIds: ids.filter((id) => found.has(id)),
          invalidIds: ids.filter((id) => !found.has(id)),
        }),
        callback,
      ),
  };
}

export function registerProductCatalog(
  server: grpc.Server,
  store: ProductStore,
  logger: Logger,
): void {
  server.addService(protos.product().ProductCatalog.service, productCatalogHandlers(store, logger));
}
