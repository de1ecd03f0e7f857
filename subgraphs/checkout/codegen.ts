import { subgraphCodegen } from '../../scripts/subgraphCodegen';

/** Parents are the Prisma row for a session and a snapshot line for an item. */
export default subgraphCodegen(__dirname, {
  contextType: '../context#Context',
  mappers: {
    CheckoutSession: '../data/sessionStore#SessionRecord',
    CheckoutItem: '../data/sessionStore#PricedItem',
  },
  scalars: { DateTime: { input: 'string', output: 'Date | string' } },
});
