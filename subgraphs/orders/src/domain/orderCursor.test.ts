import { GraphQLError } from 'graphql';
import { decodeOrderCursor, encodeOrderCursor } from './orderCursor';

describe('order cursors', () => {
  test('round-trip the keyset exactly, to the millisecond', () => {
    const cursor = {
      createdAt: new Date('2026-01-31T12:00:00.123Z'),
      id: '0b5c6f8e-3f3a-4c4e-9b1e-6a2f1d7c9e01',
    };
    expect(decodeOrderCursor(encodeOrderCursor(cursor))).toEqual(cursor);
  });

  test.each([
    ['not base64 JSON', 'garbage'],
    ['the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
    [
      'a bad date',
      Buffer.from('["yesterday","0b5c6f8e-3f3a-4c4e-9b1e-6a2f1d7c9e01"]').toString('base64url'),
    ],
    ['a bad id', Buffer.from('["2026-01-31T12:00:00.000Z","1; DROP TABLE"]').toString('base64url')],
  ])('%s is BAD_USER_INPUT', (_what, value) => {
    let error: unknown;
    try {
      decodeOrderCursor(value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
  });
});
