import path from 'node:path';
import pino, { type Logger } from 'pino';
import { MigrationChecksumError } from './errors';
import { readMigrationFiles } from './migrationFiles';
import { openPostgresTarget } from './postgresTarget';
import { openSqliteTarget } from './sqliteTarget';
import type { MigrationTarget } from './target';

/**
 * Options of `runMigrations`: the migrations folder and exactly one database URL.
 *
 * ```ts
 * // at service start, before serving (PostgreSQL):
 * await runMigrations({
 *   dir: path.join(__dirname, '../../../prisma/checkout/migrations'),
 *   postgresUrl: config.POSTGRES_URL,
 *   logger,
 * });
 * // SQLite (better-sqlite3), e.g. the product catalog:
 * await runMigrations({ dir, sqliteUrl: 'file:/var/lib/shop/product.db', logger });
 * ```
 */
export type RunMigrationsOptions = {
  /**
   * Folder holding `<timestamp>_<name>/migration.sql` (made by `npm run migration:new`).
   * Relative paths resolve against the working directory; services pass an absolute path
   * built from `__dirname` so they start from any directory.
   */
  dir: string;
  logger?: Logger;
  /**
   * How long to wait for another runner (another replica starting at the same moment) before
   * giving up with an error. Default 60 s.
   */
  lockTimeoutMs?: number;
} & ({ postgresUrl: string; sqliteUrl?: never } | { sqliteUrl: string; postgresUrl?: never });

export interface MigrationReport {
  /** Applied by this call, in order. */
  applied: string[];
  /** Found already applied (by an earlier start or by a concurrent runner). */
  alreadyApplied: string[];
}

/**
 * Brings a database up to date with its migrations folder, the way a service does at start:
 *
 * - records what it applied in `_migrations` (name, checksum, applied_at);
 * - applies the pending files in name order, each in its own transaction with its record, so a
 *   failing file leaves no trace and the next start retries it (files must therefore not hold
 *   their own BEGIN/COMMIT, nor statements PostgreSQL refuses in a transaction such as
 *   CREATE INDEX CONCURRENTLY);
 * - refuses to run (MigrationChecksumError, nothing applied) when an applied file was edited;
 * - is safe when several processes start at once: PostgreSQL runners queue on an advisory lock,
 *   SQLite runners on BEGIN IMMEDIATE, and each file is applied exactly once.
 *
 * Rows for migrations this code does not know (a newer release ran first) are logged, not
 * fatal, so an older replica can still start during a rolling deploy.
 *
 * Why not `prisma migrate deploy`: with the WebAssembly schema engine (no engine downloads
 * here) it fails on PostgreSQL (Prisma issue #27403); see prisma/README.md.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<MigrationReport> {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'migrations' });
  const lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  const dir = path.resolve(options.dir);
  const files = readMigrationFiles(dir);

  const target: MigrationTarget = options.postgresUrl
    ? await openPostgresTarget(options.postgresUrl, lockTimeoutMs)
    : openSqliteTarget(requireUrl(options.sqliteUrl), lockTimeoutMs);
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  try {
    await target.ensureTable();
    const recorded = new Map((await target.applied()).map((row) => [row.name, row]));

    // Every checksum is compared before anything is applied: an edited history stops the run
    // with the database untouched.
    for (const file of files) {
      const row = recorded.get(file.name);
      if (row && row.checksum !== file.checksum) {
        throw new MigrationChecksumError(file.name, row.checksum, file.checksum);
      }
    }
    const known = new Set(files.map((f) => f.name));
    const unknown = [...recorded.keys()].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      logger.warn(
        { database: target.description, unknown },
        'database has migrations this code does not know (a newer release applied them)',
      );
    }

    for (const file of files) {
      if (recorded.has(file.name)) {
        report.alreadyApplied.push(file.name);
        continue;
      }
      const result = await target.apply(file);
      if (result === 'applied') {
        report.applied.push(file.name);
        logger.info({ database: target.description, migration: file.name }, 'migration applied');
      } else {
        if (result.checksum !== file.checksum) {
          throw new MigrationChecksumError(file.name, result.checksum, file.checksum);
        }
        report.alreadyApplied.push(file.name);
      }
    }
    logger.info(
      { database: target.description, applied: report.applied.length, total: files.length },
      'database schema up to date',
    );
    return report;
  } finally {
    await target.close();
  }
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new Error('runMigrations needs postgresUrl or sqliteUrl.');
  return url;
}
