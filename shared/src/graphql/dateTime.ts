import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/**
 * ISO-8601 instants in UTC, for every subgraph with a DateTime. Hand-written because it is a
 * dozen lines: the usual library (graphql-scalars) would add a dependency for one scalar.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant in time as an ISO-8601 string in UTC.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime()))
      throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    return parseDate(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError('DateTime must be an ISO-8601 string such as "2026-01-31T12:00:00Z"', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return date;
}
