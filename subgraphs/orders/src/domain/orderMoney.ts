import { money, type Money } from '@shop/shared';

/**
 * Amounts are BIGINT cents in PostgreSQL (Prisma gives bigint); the shared money helpers work on
 * safe-integer numbers, which hold any amount below 90 trillion dollars exactly. Refusing above
 * that beats printing a rounded price.
 */
export function moneyFromCents(cents: bigint, currencyCode: string): Money {
  const n = Number(cents);
  if (!Number.isSafeInteger(n)) throw new Error(`amount of ${cents} cents is beyond exact range`);
  return money(n, currencyCode);
}
