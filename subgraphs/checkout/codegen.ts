import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Resolver types generated from schema.graphql (the source of truth), run by
 * scripts/generate.sh. Mappers tell the generator what our resolvers really receive as parents:
 * the Prisma row for a session, a snapshot line for an item, so a resolver returning the raw
 * row type-checks and each field resolver maps it to the schema.
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
          CheckoutSession: '../data/sessionStore#SessionRecord',
          CheckoutItem: '../data/sessionStore#PricedItem',
        },
        scalars: { DateTime: { input: 'string', output: 'Date | string' } },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
