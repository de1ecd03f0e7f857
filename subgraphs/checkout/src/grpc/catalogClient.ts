import * as grpc from '@grpc/grpc-js';
import { protos, type ProductCatalogClient } from '@shop/internal-grpc';
import type { Logger } from 'pino';
import { CHANNEL_OPTIONS, createGrpcCaller, type ResponseOf, type GrpcCaller } from './grpcCall';

export interface CatalogProduct {
  id: string;
  name: string;
  /** Decimal string, e.g. "1299.99". */
  price: string;
  currencyCode: string;
}

/** The product catalog as checkout sees it: names and prices for the snapshot. */
export interface CatalogGateway {
  getProducts(ids: string[]): Promise<{ products: CatalogProduct[]; missingIds: string[] }>;
  caller: GrpcCaller;
  close(): void;
}

/** The service definition; its method types give the response types. */
type Definition = ReturnType<typeof protos.product>['ProductCatalog']['service'];
type CatalogResponse<M extends string> = ResponseOf<Definition, M & keyof Definition>;

export function createCatalogClient(
  address: string,
  deadlineMs: number,
  logger: Logger,
): CatalogGateway {
  const ProductCatalog = protos.product().ProductCatalog;
  const client = new ProductCatalog(
    address,
    grpc.credentials.createInsecure(),
    CHANNEL_OPTIONS,
  ) as unknown as ProductCatalogClient;
  const caller = createGrpcCaller('product', deadlineMs, logger);
  return {
    caller,
    async getProducts(ids) {
      const res = await caller.call<CatalogResponse<'GetProducts'>>(
        'GetProducts',
        (options, callback) => client.getProducts({ ids }, options, callback),
      );
      return {
        products: res.products.map((p) => ({
          id: p.id,
          name: p.name,
          price: p.price,
          currencyCode: p.currencyCode || 'USD',
        })),
        missingIds: res.missingIds,
      };
    },
    close: () => client.close(),
  };
}
