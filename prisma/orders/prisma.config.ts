import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

/**
 * The Prisma CLI for the orders database. `engine: 'js'` with a driver adapter makes the CLI use
 * its bundled WebAssembly schema engine instead of downloading the Rust one (unreachable here;
 * see prisma/README.md). Used as `prisma <command> --config prisma/orders/prisma.config.ts` for
 * `generate` and `migrate diff` only: the SQL files in ./migrations are applied by the shared
 * runner when the service starts.
 */
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'migrations') },
  adapter: async () =>
    new PrismaPg({
      connectionString:
        process.env.POSTGRES_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/shop_orders',
    }),
});
