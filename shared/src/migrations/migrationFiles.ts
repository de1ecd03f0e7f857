import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One `<dir>/<name>/migration.sql`, as found on disk. */
export interface MigrationFile {
  /** The folder name, e.g. `20251126094500_init`; names sort into apply order. */
  name: string;
  sql: string;
  /** sha256 (hex) of the SQL with line endings normalised, see `checksumOf`. */
  checksum: string;
}

/**
 * Line endings are normalised before hashing so a checkout with `core.autocrlf` does not look
 * like an edited migration; any other change, even whitespace, counts as an edit.
 */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * Reads the migrations of one database: every sub-folder of `dir` holds one `migration.sql`
 * (Prisma's layout, so `prisma migrate diff --from-migrations` reads the same folder). Plain
 * files such as `migration_lock.toml` are skipped. Sorted by name, which starts with a UTC
 * timestamp, so the order is the order they were written in.
 */
export function readMigrationFiles(dir: string): MigrationFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(
      `Migrations folder ${dir} does not exist. Pass the folder that holds <timestamp>_<name>/migration.sql ` +
        '(e.g. prisma/checkout/migrations); relative paths resolve against the working directory.',
    );
  }
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const file = path.join(dir, name, 'migration.sql');
      if (!existsSync(file)) {
        throw new Error(`Migration folder ${path.join(dir, name)} has no migration.sql.`);
      }
      const sql = readFileSync(file, 'utf8');
      return { name, sql, checksum: checksumOf(sql) };
    });
}
