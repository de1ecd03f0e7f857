import type { CodegenConfig } from '@graphql-codegen/cli';

/** Resolver types from schema.graphql (`bash scripts/generate.sh`); the schema is the source of truth. */
const config: CodegenConfig = {
  schema: 'subgraphs/cart/schema.graphql',
  generates: {
    'subgraphs/cart/src/__generated__/resolvers-types.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: true,
        contextType: '../types/context#CartContext',
        // Resolvers return domain values; field resolvers turn them into the GraphQL shape.
        mappers: {
          Cart: '../domain/cart#Cart as CartModel',
          CartItem: '../resolvers/CartItem#CartItemParent',
        },
        scalars: { DateTime: 'Date' },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
