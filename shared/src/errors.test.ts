import { GraphQLError } from 'graphql';
import { badUserInput, createErrorFormatter } from './errors';

describe('error formatting', () => {
  const logged: unknown[] = [];
  const format = createErrorFormatter((err) => logged.push(err));

  test('our own errors pass through with their code, without a stack trace', () => {
    const error = badUserInput('Quantity must be between 1 and 99.');
    const out = format(
      { message: error.message, extensions: { code: 'BAD_USER_INPUT', stacktrace: ['x'] } },
      error,
    );
    expect(out).toEqual({
      message: 'Quantity must be between 1 and 99.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  test('unexpected errors are hidden from the client and logged', () => {
    const boom = new GraphQLError('connect ECONNREFUSED 10.0.0.5:5432');
    const out = format(
      { message: boom.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      boom,
    );
    expect(out.message).not.toContain('ECONNREFUSED');
    expect(out.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(logged).toContain(boom);
  });
});
