/**
 * The inventory and payment stubs as a library, for tests that run them in-process; each is
 * also a process of its own (`stubs/<name>/main.ts`). Nothing in a subgraph imports this.
 */
export { createInventoryServer, type InventoryServer } from './inventory/service';
export { loadInventoryConfig, type InventoryConfig } from './inventory/config';
export { createPaymentServer, type PaymentServer } from './payment/service';
export { loadPaymentConfig, type PaymentConfig } from './payment/config';
