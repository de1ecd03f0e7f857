export * from './protos';
export * from './server';
export type { Product } from './__generated__/shop/product/v1/Product';
export type { ProductCatalogClient } from './__generated__/shop/product/v1/ProductCatalog';
export type { CartServiceClient } from './__generated__/shop/cart/v1/CartService';
export type { InventoryClient } from './__generated__/shop/inventory/v1/Inventory';
export type { PaymentClient } from './__generated__/shop/payment/v1/Payment';
export type { SetStockRequest } from './__generated__/shop/inventory/v1/SetStockRequest';
export type { ChargeResponse } from './__generated__/shop/payment/v1/ChargeResponse';
export { createInventoryServer, type InventoryServer } from './inventory/service';
export { loadInventoryConfig, type InventoryConfig } from './inventory/config';
export { readInsufficientStock, INSUFFICIENT_STOCK_TRAILER } from './inventory/insufficientStock';
export type { Shortage } from './inventory/stockLedger';
export { createPaymentServer, type PaymentServer } from './payment/service';
export { loadPaymentConfig, type PaymentConfig } from './payment/config';
export {
  CHANNEL_OPTIONS,
  DependencyUnavailableError,
  UNHEALTHY_STATUSES,
  connectClient,
  createGrpcCaller,
  hasStatus,
  isServiceError,
  type GrpcCaller,
  type GrpcCallerOptions,
  type ResponseOf,
  type UnaryInvocation,
} from './client/grpcCall';
export {
  createProductCatalogClient,
  type CatalogGateway,
  type CatalogProduct,
} from './client/productCatalogClient';
export {
  createRefundPaymentClient,
  createRestockInventoryClient,
  type RefundOutcome,
  type RefundPaymentClient,
  type RestockInventoryClient,
} from './client/cancellationClients';
export { createAvailabilityClient, type AvailabilityClient } from './client/availabilityClient';
