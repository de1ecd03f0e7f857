import { GraphQLError } from 'graphql';
import {
  addLine,
  assertProductId,
  assertQuantity,
  isExpired,
  MAX_DISTINCT_ITEMS,
  mergeLines,
  removeCheckedOutLines,
  removeLine,
  setLineQuantity,
  type CartLine,
} from './cart';

const t0 = new Date('2026-01-01T00:00:00Z');
const line = (productId: string, quantity: number): CartLine => ({
  productId,
  quantity,
  addedAt: t0,
});

function codeOf(fn: () => unknown): { code: unknown; rule: unknown; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof GraphQLError) {
      return { code: err.extensions.code, rule: err.extensions.rule, message: err.message };
    }
    throw err;
  }
  throw new Error('expected an error');
}

describe('cart rules', () => {
  it('adding a product already in the cart adds to its line and keeps when it was first added', () => {
    const lines = addLine([line('1', 2)], '1', 3, new Date('2026-02-01T00:00:00Z'));
    expect(lines).toEqual([{ productId: '1', quantity: 5, addedAt: t0 }]);
  });

  it('quantities outside 1–99 are refused, naming the rule', () => {
    for (const q of [0, -1, 100, 1.5]) {
      expect(codeOf(() => assertQuantity(q))).toMatchObject({
        code: 'BAD_USER_INPUT',
        rule: 'QUANTITY_RANGE',
      });
    }
    expect(() => assertQuantity(1)).not.toThrow();
    expect(() => assertQuantity(99)).not.toThrow();
  });

  it('adding to a line may not push it past 99, and the message says how many still fit', () => {
    const error = codeOf(() => addLine([line('1', 97)], '1', 3, t0));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', rule: 'QUANTITY_RANGE' });
    expect(error.message).toContain('at most 2 more');
    expect(addLine([line('1', 97)], '1', 2, t0)[0]?.quantity).toBe(99);
  });

  it('a cart holds at most 50 distinct products, but a full cart still takes more of one it has', () => {
    const full = Array.from({ length: MAX_DISTINCT_ITEMS }, (_, i) => line(String(i), 1));
    expect(codeOf(() => addLine(full, 'new', 1, t0))).toMatchObject({
      code: 'BAD_USER_INPUT',
      rule: 'MAX_DISTINCT_ITEMS',
    });
    expect(addLine(full, '7', 1, t0).find((l) => l.productId === '7')?.quantity).toBe(2);
  });

  it('product ids that cannot be catalog ids are refused before any lookup', () => {
    for (const id of ['', 'a.b', '$where', 'x'.repeat(65), 'items.1']) {
      expect(codeOf(() => assertProductId(id))).toMatchObject({ code: 'BAD_USER_INPUT' });
    }
    expect(() => assertProductId('42')).not.toThrow();
    expect(() => assertProductId('sku_A-1')).not.toThrow();
  });

  it('setting the quantity of a product not in the cart is NOT_FOUND', () => {
    expect(codeOf(() => setLineQuantity([line('1', 1)], '2', 3))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(setLineQuantity([line('1', 1)], '1', 3)[0]?.quantity).toBe(3);
  });

  it('removing a product that is not in the cart changes nothing', () => {
    expect(removeLine([line('1', 1)], '2')).toBeNull();
    expect(removeLine([line('1', 1), line('2', 1)], '2')).toEqual([line('1', 1)]);
  });

  it('a checkout removes exactly what it took: lines increased since keep the difference', () => {
    const current = [line('1', 5), line('2', 1), line('3', 2)];
    const remaining = removeCheckedOutLines(current, [
      { productId: '1', quantity: 2 }, // shopper added 3 more after the snapshot
      { productId: '2', quantity: 1 },
      { productId: '3', quantity: 4 }, // shopper lowered it after the snapshot: the line goes
      { productId: '9', quantity: 1 }, // shopper removed it after the snapshot: nothing to do
    ]);
    expect(remaining).toEqual([line('1', 3)]);
  });

  it('a cart expires 90 days after its last change', () => {
    const updatedAt = new Date('2026-01-01T00:00:00Z');
    expect(isExpired(updatedAt, new Date('2026-03-31T23:59:59Z'))).toBe(false);
    expect(isExpired(updatedAt, new Date('2026-04-01T00:00:00Z'))).toBe(true);
    expect(isExpired(null, new Date('2099-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('mergeLines', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  const now = new Date('2026-02-01T00:00:00Z');
  const line = (productId: string, quantity: number) => ({ productId, quantity, addedAt: at });

  it('adds quantities and appends new products, added now', () => {
    const { lines, problems } = mergeLines([line('1', 2)], [line('1', 3), line('2', 1)], now);
    expect(problems).toEqual([]);
    expect(lines).toEqual([line('1', 5), { productId: '2', quantity: 1, addedAt: now }]);
  });

  it('merges nothing and names every line above 99, past 50 products or gone from the catalog', () => {
    const full = Array.from({ length: MAX_DISTINCT_ITEMS }, (_, i) => line(`p${i}`, 1));
    full[0] = line('p0', 98);
    const { lines, problems } = mergeLines(
      full,
      [line('p0', 2), line('new', 1), line('gone', 1), line('p1', 1)],
      now,
      new Set(['gone']),
    );
    expect(lines).toBeNull();
    expect(problems.map((p) => [p.productId, p.rule])).toEqual([
      ['p0', 'QUANTITY_RANGE'],
      ['new', 'MAX_DISTINCT_ITEMS'],
      ['gone', 'PRODUCT_EXISTS'],
    ]);
  });
});
