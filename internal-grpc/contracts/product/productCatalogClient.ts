import { DEFAULT_CURRENCY, type Logger } from '@shop/shared';
import { protos } from '../../src/protos';
import {
  connectClient,
  createGrpcCaller,
  type GrpcCaller,
  type GrpcCallerOptions,
  type ResponseOf,
} from '../../src/grpcCall';

export interface CatalogProduct {
  id: string;
  name: string;
  /** Decimal string, e.g. "1299.99". */
  price: string;
  currencyCode: string;
}

/**
 * The product catalog (ProductCatalog.GetProducts) as the other services see it: which of some
 * ids it sells, with their names and prices. The cart checks products and prices lines with it,
 * checkout prices its snapshot; each maps DependencyUnavailableError onto its own errors.
 */
export interface CatalogClient {
  /** The products among `ids` the catalog sells, and the ids it does not know. */
  getProducts(
    ids: readonly string[],
  ): Promise<{ products: CatalogProduct[]; missingIds: string[] }>;
  caller: GrpcCaller;
  close(): void;
}

/** The service definition; its method types give the response types. */
type Definition = ReturnType<typeof protos.product>['ProductCatalog']['service'];

/**
 * A catalog client whose calls carry a deadline of `deadlineMs` and go through one breaker
 * (`options` tunes it, e.g. which statuses count as an outage).
 */
export function createProductCatalogClient(
  address: string,
  deadlineMs: number,
  logger: Logger,
  options: GrpcCallerOptions = {},
): CatalogClient {
  const client = connectClient(protos.product().ProductCatalog, address);
  const caller = createGrpcCaller('product', deadlineMs, logger, options);
  return {
    caller,
    async getProducts(ids) {
      const res = await caller.call<ResponseOf<Definition, 'GetProducts'>>(
        'GetProducts',
        (callOptions, callback) => client.getProducts({ ids: [...ids] }, callOptions, callback),
      );
      return {
        products: res.products.map((p) => ({
          id: p.id,
          name: p.name,
          price: p.price,
          currencyCode: p.currencyCode || DEFAULT_CURRENCY,
        })),
        missingIds: res.missingIds,
      };
    },
    close() {
      caller.breaker.shutdown();
      client.close();
    },
  };
}
