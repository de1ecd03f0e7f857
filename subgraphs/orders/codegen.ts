import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Resolver types generated from schema.graphql (the source of truth): `bash scripts/generate.sh`
 * or `npx graphql-codegen --config subgraphs/orders/codegen.ts`. Mappers make parents the rows
 * the data layer returns (Prisma models), so a resolver that forgets a field fails to compile.
 */
const config: CodegenConfig = {
  schema: path.join(__dirname, 'schema.graphql'),
  generates: {
    [path.join(__dirname, 'src/__generated__/resolvers-types.ts')]: {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: true,
        contextType: '../types/context#Context',
        mappers: {
          Order: '../data/orderStore#OrderRow',
          OrderItem: '../data/orderStore#OrderItemView',
          CheckoutSession: '../data/orderStore#CheckoutRef',
        },
        scalars: { DateTime: 'Date' },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
