/**
 * Prisma CLI configuration for the product database. Selecting the JavaScript schema engine
 * (`engine: 'js'`) with a driver adapter keeps every CLI command we use (generate, migrate
 * diff, db execute) on Prisma's bundled WebAssembly engine, so nothing is downloaded from
 * binaries.prisma.sh (unreachable on our build machines).
 *
 * Used as `prisma <command> --config prisma/product/prisma.config.ts` (scripts/generate.sh,
 * scripts/new-migration.ts); the schema path below is relative to this file.
 */
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'migrations') },
  // Only commands that need a database connect through this; generate and migrate diff
  // (against an in-memory shadow database) do not touch the service's file.
  adapter: async () =>
    new PrismaBetterSQLite3({
      url:
        process.env.PRODUCT_DATABASE_URL ??
        `file:${path.join(__dirname, '../../.local/product.db')}`,
    }),
});
