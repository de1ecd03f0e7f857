import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../__generated__/prisma/client';

export type OrdersPrisma = PrismaClient;

/**
 * The Prisma client of the orders database, on the pg driver adapter (Prisma 6.19 with the JS
 * query compiler: no engine binary). One pool per process; `max` bounds what this service can
 * take from PostgreSQL however many requests and messages are in flight.
 */
export function createOrdersPrisma(
  postgresUrl: string,
  options: { max?: number } = {},
): OrdersPrisma {
  const adapter = new PrismaPg({
    connectionString: postgresUrl,
    max: options.max ?? 10,
    // Fail fast when PostgreSQL is unreachable: the consumer retries with its own backoff and
    // readiness reports the outage, instead of requests hanging on a connect.
    connectionTimeoutMillis: 5000,
  });
  return new PrismaClient({ adapter });
}
