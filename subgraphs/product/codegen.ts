import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Resolver types generated from schema.graphql (the source of truth): `bash scripts/generate.sh`
 * or `npx graphql-codegen --config subgraphs/product/codegen.ts`. Mappers make parents what the
 * data layer returns (the Prisma row, a page of rows), so a field the row cannot produce fails
 * to compile instead of resolving to null at run time.
 */
const config: CodegenConfig = {
  schema: path.join(__dirname, 'schema.graphql'),
  generates: {
    [path.join(__dirname, 'src/__generated__/resolvers-types.ts')]: {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: true,
        contextType: '../types/context#ProductContext',
        mappers: {
          Product: '../data/productStore#ProductRow',
          ProductConnection: '../data/productStore#ProductPage',
          ProductEdge: '../data/productStore#ProductRow',
        },
      },
    },
  },
};

export default config;
