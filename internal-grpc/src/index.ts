export * from './protos';
export * from './server';
export type { Product } from './__generated__/shop/product/v1/Product';
export type { ProductCatalogClient } from './__generated__/shop/product/v1/ProductCatalog';
export type { CartServiceClient } from './__generated__/shop/cart/v1/CartService';
export type { InventoryClient } from './__generated__/shop/inventory/v1/Inventory';
export type { PaymentClient } from './__generated__/shop/payment/v1/Payment';
