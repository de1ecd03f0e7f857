import { decideCancellation } from './orderCancellation';
import type { OrderStatus } from './orderStatus';

const owner = { userId: 'alice', scopes: new Set<string>() };
const staff = { userId: 'staff', scopes: new Set(['admin']) };
const stranger = { userId: 'bob', scopes: new Set<string>() };
const order = (status: OrderStatus) => ({ id: 'o1', userId: 'alice', status });

describe('who may cancel an order', () => {
  test('the owner while CONFIRMED, staff while CONFIRMED or PROCESSING', () => {
    expect(decideCancellation(owner, order('CONFIRMED'))).toEqual({ ok: true });
    expect(decideCancellation(staff, order('CONFIRMED'))).toEqual({ ok: true });
    expect(decideCancellation(staff, order('PROCESSING'))).toEqual({ ok: true });
  });

  test('an owner too late for self-service is FORBIDDEN, naming who can', () => {
    expect(decideCancellation(owner, order('PROCESSING'))).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
      message: expect.stringContaining('only staff'),
    });
  });

  test('someone else’s order looks like no order', () => {
    expect(decideCancellation(stranger, order('CONFIRMED'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  test('twice is CONFLICT; past shipping is BAD_USER_INPUT for everyone', () => {
    expect(decideCancellation(staff, order('CANCELLED'))).toMatchObject({ code: 'CONFLICT' });
    for (const status of ['SHIPPED', 'DELIVERED'] as const) {
      expect(decideCancellation(staff, order(status))).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(decideCancellation(owner, order(status))).toMatchObject({ code: 'BAD_USER_INPUT' });
    }
  });
});
