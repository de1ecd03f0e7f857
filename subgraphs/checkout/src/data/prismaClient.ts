import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../__generated__/prisma/client';

export type CheckoutPrisma = InstanceType<typeof PrismaClient>;

/** The checkout database: Prisma for the schema and the occasional read, and its pg pool. */
export interface CheckoutDatabase {
  prisma: CheckoutPrisma;
  /**
   * The pool under Prisma's driver adapter, for the saga's hot statements (sessionStore.ts):
   * sent through Prisma, even a raw statement is compiled and its rows converted on every call.
   */
  pool: Pool;
  /** Closes Prisma and, with it, the pool. */
  close(): Promise<void>;
}

/**
 * The Prisma client of the checkout database, through the pg driver adapter (Prisma 6.19's
 * JS query compiler: no Rust engine binary), on a pool it shares with the hot statements. The
 * pool is sized for the saga: each checkout in flight holds a connection only for the few
 * milliseconds of one statement, never across a gRPC call.
 */
export function createCheckoutDatabase(postgresUrl: string, poolSize = 20): CheckoutDatabase {
  const pool = new Pool({ connectionString: postgresUrl, max: poolSize });
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool, { disposeExternalPool: true }),
  });
  return {
    prisma,
    pool,
    // Prisma ends the pool on $disconnect (disposeExternalPool); a client that never ran a
    // query never opened its adapter, so the pool is ended here then.
    close: async () => {
      await prisma.$disconnect();
      if (!pool.ending) await pool.end();
    },
  };
}
