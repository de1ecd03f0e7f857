/**
 * What callers of the internal gRPC services import: the loaded contracts, the call runtime
 * (deadline + breaker) and one client per service, defined beside its .proto under contracts/.
 * The inventory and payment stubs are a separate part: `@shop/internal-grpc/stubs`.
 */
export * from './protos';
export * from './server';
export type { Product } from './__generated__/shop/product/v1/Product';
export type { ProductCatalogClient } from './__generated__/shop/product/v1/ProductCatalog';
export type { CartServiceClient } from './__generated__/shop/cart/v1/CartService';
export type { SetStockRequest } from './__generated__/shop/inventory/v1/SetStockRequest';
export type { ChargeResponse } from './__generated__/shop/payment/v1/ChargeResponse';
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
} from './grpcCall';
export {
  createProductCatalogClient,
  type CatalogClient,
  type CatalogProduct,
} from '../contracts/product/productCatalogClient';
export { createCartClient, type CartClient, type CartLine } from '../contracts/cart/cartClient';
export {
  createInventoryClient,
  InsufficientStockError,
  ReservationGoneError,
  ReservationSoldError,
  type InventoryClient,
  type ReservationStatus,
} from '../contracts/inventory/inventoryClient';
export {
  readInsufficientStock,
  INSUFFICIENT_STOCK_TRAILER,
  type Shortage,
} from '../contracts/inventory/insufficientStock';
export {
  createPaymentClient,
  type ChargeOutcome,
  type PaymentClient,
  type RefundOutcome,
} from '../contracts/payment/paymentClient';
