import { z } from 'zod';
import { decodeCheckoutCompleted, decodeEvent } from './decodeEvent';

const valid = {
  eventId: '0b5c6f8e-3f3a-4c4e-9b1e-6a2f1d7c9e01',
  eventType: 'CheckoutCompleted',
  version: 1,
  occurredAt: '2026-01-31T12:00:00.000Z',
  checkoutId: '7d4e2b1a-9c3f-4e5d-8a6b-1c2d3e4f5a6b',
  userId: 'user-1',
  items: [{ productId: '3', name: 'Desk lamp', quantity: 2, unitPrice: '19.99' }],
  total: '39.98',
  currency: 'USD',
};
const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decoding a checkout-events message', () => {
  test('a valid CheckoutCompleted v1 is an event to handle', () => {
    expect(decodeCheckoutCompleted(encode(valid))).toEqual({ kind: 'event', event: valid });
  });

  test('another event type on the topic is skipped, not dead-lettered', () => {
    expect(decodeCheckoutCompleted(encode({ ...valid, eventType: 'CheckoutFailed' }))).toEqual({
      kind: 'skip',
      eventType: 'CheckoutFailed',
    });
  });

  test.each([
    ['no value', null, 'empty message'],
    ['an empty value', Buffer.alloc(0), 'empty message'],
    ['bytes that are not JSON', Buffer.from('{"eventType": '), 'not JSON'],
    ['a JSON array', encode([valid]), 'not an event object'],
    ['no eventType', encode({ ...valid, eventType: undefined }), 'eventType is missing'],
    ['an unknown version', encode({ ...valid, version: 2 }), 'unknown CheckoutCompleted version 2'],
    ['a float price', encode({ ...valid, total: 39.98 }), 'total'],
    ['no items', encode({ ...valid, items: [] }), 'items'],
    ['a checkout id that is not a UUID', encode({ ...valid, checkoutId: 'c-1' }), 'checkoutId'],
  ])('%s is poison', (_what, value, reason) => {
    const decoded = decodeCheckoutCompleted(value);
    expect(decoded.kind).toBe('poison');
    expect(decoded).toHaveProperty('reason', expect.stringContaining(reason));
  });
});

describe('decoding any versioned contract', () => {
  const contract = {
    eventType: 'Pinged',
    version: 3,
    schema: z.object({ eventType: z.literal('Pinged'), version: z.literal(3), at: z.string() }),
  };

  test('names the contract in what it refuses', () => {
    expect(decodeEvent(encode({ eventType: 'Pinged', version: 2 }), contract)).toEqual({
      kind: 'poison',
      reason: 'unknown Pinged version 2 (this release reads version 3)',
    });
    expect(decodeEvent(encode({ eventType: 'Pinged', version: 3 }), contract)).toEqual({
      kind: 'poison',
      reason: 'invalid Pinged v3: at: Required',
    });
  });

  test('returns what the schema parsed', () => {
    const value = { eventType: 'Pinged', version: 3, at: 'now', extra: true };
    expect(decodeEvent(encode(value), contract)).toEqual({
      kind: 'event',
      event: { eventType: 'Pinged', version: 3, at: 'now' },
    });
  });
});
