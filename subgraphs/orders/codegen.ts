import { subgraphCodegen } from '../../scripts/subgraphCodegen';

/** Parents are the rows the order store returns (Prisma models and their views). */
export default subgraphCodegen(__dirname, {
  contextType: '../context#Context',
  mappers: {
    Order: '../data/orderStore#OrderRow',
    OrderItem: '../data/orderStore#OrderItemView',
    CheckoutSession: '../data/orderStore#CheckoutRef',
  },
});
