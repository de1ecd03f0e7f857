import { money, parseCents } from '@shop/shared';
import type { CheckoutItemResolvers } from '../__generated__/resolvers-types';

export const CheckoutItem: CheckoutItemResolvers = {
  product: (item) => ({ __typename: 'Product', id: item.productId }),
  productName: (item) => item.name,
  unitPrice: (item) => money(parseCents(item.unitPrice), item.currency),
  lineTotal: (item) => money(parseCents(item.unitPrice) * item.quantity, item.currency),
};
