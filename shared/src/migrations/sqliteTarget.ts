import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { MigrationFailedError } from './errors';
import type { MigrationFile } from './migrationFiles';
import { MIGRATIONS_TABLE, type AppliedMigration, type MigrationTarget } from './target';

/**
 * The absolute file path of a SQLite URL as Prisma spells it: `file:./dev.db` (relative to the
 * working directory), `file:/abs/dev.db` or `file:///abs/dev.db`; a `?query` is dropped.
 */
export function sqliteFilePath(url: string): string {
  if (!url.startsWith('file:')) {
    throw new Error(`Not a SQLite file URL: ${url} (expected file:/path/to/db.sqlite)`);
  }
  const withoutQuery = url.replace(/\?.*$/, '');
  const filePath = withoutQuery.startsWith('file://')
    ? fileURLToPath(withoutQuery)
    : withoutQuery.slice('file:'.length);
  if (filePath === '' || filePath === ':memory:') {
    throw new Error(`SQLite URL ${url} names no file; migrations need a database file.`);
  }
  return path.resolve(filePath);
}

/**
 * Each migration runs inside `BEGIN IMMEDIATE`, which takes SQLite's single write lock up front
 * (a plain BEGIN would take it only at the first write, after the re-check, and two runners
 * could both decide to apply). A runner that finds the lock taken waits up to the busy timeout,
 * then re-checks `_migrations` and skips what the other one applied.
 */
export function openSqliteTarget(sqliteUrl: string, busyTimeoutMs: number): MigrationTarget {
  const file = sqliteFilePath(sqliteUrl);
  mkdirSync(path.dirname(file), { recursive: true });
  // Loaded here rather than at the top so PostgreSQL-only services never load the native addon.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  const db = new Database(file, { timeout: busyTimeoutMs });
  const description = `sqlite:${file}`;
  // SQLITE_BUSY after the busy timeout means another connection kept the write lock too long.
  const explainBusy = (err: unknown): unknown =>
    (err as { code?: unknown }).code === 'SQLITE_BUSY'
      ? new Error(
          `Another process has held the write lock of ${description} for over ${busyTimeoutMs} ms ` +
            '(a migration running elsewhere, or a long write transaction); try again when it is done.',
        )
      : err;
  const selectOne = (name: string) =>
    db
      .prepare<[string], { name: string; checksum: string; applied_at: string }>(
        `SELECT name, checksum, applied_at FROM ${MIGRATIONS_TABLE} WHERE name = ?`,
      )
      .get(name);

  return {
    description,
    async ensureTable() {
      try {
        db.exec(
          `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
           name TEXT NOT NULL PRIMARY KEY,
           checksum TEXT NOT NULL,
           applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         )`,
        );
      } catch (err) {
        throw explainBusy(err);
      }
    },
    async applied() {
      return db
        .prepare<[], { name: string; checksum: string; applied_at: string }>(
          `SELECT name, checksum, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY name`,
        )
        .all()
        .map(toApplied);
    },
    async apply(file: MigrationFile) {
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (err) {
        throw explainBusy(err);
      }
      try {
        const row = selectOne(file.name);
        if (row) {
          db.exec('ROLLBACK');
          return toApplied(row);
        }
        try {
          db.exec(file.sql);
        } catch (err) {
          throw new MigrationFailedError(file.name, err);
        }
        db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum) VALUES (?, ?)`).run(
          file.name,
          file.checksum,
        );
        db.exec('COMMIT');
        return 'applied';
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
    async close() {
      db.close();
    },
  };
}

function toApplied(row: { name: string; checksum: string; applied_at: string }): AppliedMigration {
  return { name: row.name, checksum: row.checksum, appliedAt: row.applied_at };
}
