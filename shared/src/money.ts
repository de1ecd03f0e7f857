/**
 * Money as integer minor units (cents). Prices in this shop have at most two decimal places,
 * so integers are exact and need no decimal library; amounts cross every boundary (GraphQL,
 * gRPC, Kafka, SQL) as decimal strings such as "1299.99".
 */
export interface Money {
  amount: string;
  currencyCode: string;
}

export const DEFAULT_CURRENCY = 'USD';

export function parseCents(decimal: string): number {
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(decimal.trim());
  if (!match) throw new Error(`not a decimal amount with at most 2 places: ${decimal}`);
  const [, sign, whole, frac = ''] = match;
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) throw new Error(`amount out of range: ${decimal}`);
  return sign ? -cents : cents;
}

export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function money(cents: number, currencyCode = DEFAULT_CURRENCY): Money {
  return { amount: formatCents(cents), currencyCode };
}
