import { formatCents, parseCents } from './money';

describe('money', () => {
  test.each([
    ['1299.99', 129999],
    ['0.5', 50],
    ['7', 700],
    ['-3.05', -305],
  ])('%s is %i cents', (decimal, cents) => {
    expect(parseCents(decimal)).toBe(cents);
  });

  test('formatting is exact where floats are not', () => {
    expect(formatCents(parseCents('0.10') + parseCents('0.20'))).toBe('0.30');
    expect(formatCents(129999 * 3)).toBe('3899.97');
    expect(formatCents(-5)).toBe('-0.05');
  });

  test('amounts with more than two places or junk are refused', () => {
    expect(() => parseCents('1.999')).toThrow();
    expect(() => parseCents('1e3')).toThrow();
  });
});
