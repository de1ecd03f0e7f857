import type { OrderItemResolvers } from '../__generated__/resolvers-types';
import { moneyFromCents } from '../domain/orderMoney';

export const OrderItem: OrderItemResolvers = {
  // A reference the product subgraph completes; the catalog may have changed since checkout.
  product: (item) => ({ __typename: 'Product', id: item.productId }),
  unitPrice: (item) => moneyFromCents(item.unitPriceCents, item.currency),
  lineTotal: (item) => moneyFromCents(item.unitPriceCents * BigInt(item.quantity), item.currency),
};
