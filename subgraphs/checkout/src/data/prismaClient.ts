import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../__generated__/prisma/client';

export type CheckoutPrisma = InstanceType<typeof PrismaClient>;

/**
 * The Prisma client of the checkout database, through the pg driver adapter (Prisma 6.19's
 * JS query compiler: no Rust engine binary). The pool is sized for the saga: each checkout in
 * flight holds a connection only for the few milliseconds of one statement, never across a
 * gRPC call.
 */
export function createCheckoutPrisma(postgresUrl: string, poolSize = 20): CheckoutPrisma {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: postgresUrl, max: poolSize }),
  });
}
