import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import { resolvers } from './resolvers';

export const SCHEMA_PATH = path.join(__dirname, '..', 'schema.graphql');

/** schema.graphql (the source of truth) with the resolvers, as a federation 2 subgraph. */
export function buildProductSchema(): GraphQLSchema {
  const typeDefs = parse(readFileSync(SCHEMA_PATH, 'utf8'));
  return buildSubgraphSchema({ typeDefs, resolvers });
}
