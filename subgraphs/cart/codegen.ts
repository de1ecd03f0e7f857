import { subgraphCodegen } from '../../scripts/subgraphCodegen';

/** Resolvers return domain values; field resolvers turn them into the GraphQL shape. */
export default subgraphCodegen(__dirname, {
  contextType: '../context#Context',
  mappers: {
    Cart: '../domain/cart#Cart as CartModel',
    CartItem: '../resolvers/CartItem#CartItemParent',
  },
});
