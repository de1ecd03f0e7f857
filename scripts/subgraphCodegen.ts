import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator settings every subgraph shares: resolver types from its
 * schema.graphql (the source of truth) into src/__generated__/resolvers-types.ts, with
 * federation's reference resolvers. Each subgraph's codegen.ts names only what is its own: the
 * context type, and the mappers that make parents what its data layer really returns, so a
 * field the row cannot produce fails to compile instead of resolving to null at run time.
 */
export function subgraphCodegen(
  subgraphDir: string,
  own: {
    contextType: string;
    mappers: Record<string, string>;
    scalars?: Record<string, string | { input: string; output: string }>;
  },
): CodegenConfig {
  return {
    schema: path.join(subgraphDir, 'schema.graphql'),
    generates: {
      [path.join(subgraphDir, 'src/__generated__/resolvers-types.ts')]: {
        plugins: ['typescript', 'typescript-resolvers'],
        config: {
          federation: true,
          useIndexSignature: true,
          enumsAsTypes: true,
          scalars: { DateTime: 'Date' },
          ...own,
        },
      },
    },
  };
}
