import { allowedNextStatuses, decideTransition, type OrderStatus } from './orderStatus';

const ALL: OrderStatus[] = ['CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'CANCELLED'];
const LEGAL: [OrderStatus, OrderStatus][] = [
  ['CONFIRMED', 'PROCESSING'],
  ['PROCESSING', 'SHIPPED'],
  ['SHIPPED', 'DELIVERED'],
  ['CONFIRMED', 'CANCELLED'],
  ['PROCESSING', 'CANCELLED'],
];

describe('order status machine', () => {
  test.each(LEGAL)('%s → %s is allowed', (from, to) => {
    expect(decideTransition(from, to)).toEqual({ ok: true, from, to });
  });

  const illegal = ALL.flatMap((from) =>
    ALL.map((to) => [from, to] as [OrderStatus, OrderStatus]),
  ).filter(([from, to]) => !LEGAL.some(([f, t]) => f === from && t === to));

  test.each(illegal)('%s → %s is refused with a reason', (from, to) => {
    const decision = decideTransition(from, to);
    expect(decision.ok).toBe(false);
    expect(decision).toHaveProperty('reason', expect.stringContaining(from));
  });

  test('exactly the five documented transitions are legal', () => {
    expect(illegal).toHaveLength(ALL.length * ALL.length - LEGAL.length);
  });

  test('the refusal names what the order may do instead', () => {
    expect(decideTransition('SHIPPED', 'CANCELLED')).toMatchObject({
      reason:
        'An order cannot move from SHIPPED to CANCELLED: from SHIPPED it can move to DELIVERED.',
    });
    expect(decideTransition('PROCESSING', 'PROCESSING')).toMatchObject({
      reason:
        'The order is already PROCESSING: from PROCESSING it can move to SHIPPED or CANCELLED.',
    });
    expect(decideTransition('DELIVERED', 'CANCELLED')).toMatchObject({
      reason:
        'An order cannot move from DELIVERED to CANCELLED: DELIVERED is final; it cannot change any more.',
    });
  });

  test('final statuses allow nothing', () => {
    expect(allowedNextStatuses('DELIVERED')).toEqual([]);
    expect(allowedNextStatuses('CANCELLED')).toEqual([]);
  });
});
