import { Client, DatabaseError } from 'pg';
import { MigrationFailedError } from './errors';
import type { MigrationFile } from './migrationFiles';
import { MIGRATIONS_TABLE, type AppliedMigration, type MigrationTarget } from './target';

/**
 * Session-level advisory lock held for the whole run, so a second replica waits until the first
 * has applied everything and then finds nothing left to do. Advisory locks are per database:
 * checkout and orders migrate in parallel. The key is an arbitrary constant (distinct from the
 * outbox relay's).
 */
const MIGRATION_LOCK_KEY = '5180239417';

/** SQLSTATE 55P03: the lock was not granted within lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';

export async function openPostgresTarget(
  postgresUrl: string,
  lockTimeoutMs: number,
): Promise<MigrationTarget> {
  const url = new URL(postgresUrl);
  const description = `postgres://${url.host}${url.pathname}`;
  const client = new Client({ connectionString: postgresUrl, application_name: 'migrations' });
  await client.connect();
  try {
    // lock_timeout bounds the wait for the advisory lock; reset afterwards so the migrations'
    // own DDL waits for table locks as long as it needs.
    await client.query(`SET lock_timeout = ${Math.max(1, Math.ceil(lockTimeoutMs))}`);
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query('RESET lock_timeout');
  } catch (err) {
    await client.end().catch(() => undefined);
    if (err instanceof DatabaseError && err.code === LOCK_NOT_AVAILABLE) {
      throw new Error(
        `Another process has been migrating ${description} for over ${lockTimeoutMs} ms. ` +
          `If none is running, a stuck session holds advisory lock ${MIGRATION_LOCK_KEY}: ` +
          `find it with SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = ${MIGRATION_LOCK_KEY}.`,
      );
    }
    throw err;
  }

  return {
    description,
    async ensureTable() {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
           name TEXT PRIMARY KEY,
           checksum TEXT NOT NULL,
           applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )`,
      );
    },
    async applied() {
      const { rows } = await client.query<{ name: string; checksum: string; applied_at: Date }>(
        `SELECT name, checksum, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY name`,
      );
      return rows.map(toApplied);
    },
    async apply(file: MigrationFile) {
      await client.query('BEGIN');
      try {
        const existing = await client.query<{ name: string; checksum: string; applied_at: Date }>(
          `SELECT name, checksum, applied_at FROM ${MIGRATIONS_TABLE} WHERE name = $1`,
          [file.name],
        );
        const row = existing.rows[0];
        if (row) {
          await client.query('ROLLBACK');
          return toApplied(row);
        }
        try {
          // No parameters: pg sends it as a simple query, so a file may hold many statements.
          await client.query(file.sql);
        } catch (err) {
          throw new MigrationFailedError(file.name, err);
        }
        await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum) VALUES ($1, $2)`, [
          file.name,
          file.checksum,
        ]);
        await client.query('COMMIT');
        return 'applied';
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    async close() {
      // Ending the session releases the lock too; unlocking first frees it at once even when
      // the connection is pooled by a proxy such as PgBouncer in session mode.
      await client
        .query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY])
        .catch(() => {
          /* the session is ending anyway */
        });
      await client.end();
    },
  };
}

function toApplied(row: { name: string; checksum: string; applied_at: Date }): AppliedMigration {
  return { name: row.name, checksum: row.checksum, appliedAt: row.applied_at.toISOString() };
}
