import { badUserInput } from '@shop/shared';

/** A position in the newest-first order list: the keyset (created_at, id) of the last order seen. */
export interface OrderCursor {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Cursors are opaque to clients (base64url of a small JSON array), so the keyset can change
 * without breaking anyone who treats them as strings, which is all the API promises.
 */
export function encodeOrderCursor(cursor: OrderCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString(
    'base64url',
  );
}

/** Reads a cursor from a client; anything not produced by encodeOrderCursor is BAD_USER_INPUT. */
export function decodeOrderCursor(value: string): OrderCursor {
  const invalid = () =>
    badUserInput('`after` is not a cursor from this list; pass a pageInfo.endCursor of orders.', {
      argumentName: 'after',
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !UUID.test(id)) throw invalid();
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) throw invalid();
  return { createdAt: date, id };
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
