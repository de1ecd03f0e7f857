import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { createTestDatabase } from '../testing';
import {
  checksumOf,
  MigrationChecksumError,
  MigrationFailedError,
  runMigrations,
  type RunMigrationsOptions,
} from '.';

/** One database under test, whichever kind. */
interface TestDatabase {
  target: { postgresUrl: string } | { sqliteUrl: string };
  env: Record<string, string>;
  query: <T>(sql: string) => Promise<T[]>;
  drop: () => Promise<void>;
}

interface Dialect {
  name: string;
  create: (tmp: string) => Promise<TestDatabase>;
  /** SQL that takes a noticeable moment, so concurrent runners overlap inside a migration. */
  slowStatement: string;
  /** Holds the database's migration lock from another session until the returned release. */
  holdMigrationLock: (db: TestDatabase) => Promise<() => Promise<void>>;
}

const postgres: Dialect = {
  name: 'PostgreSQL',
  async create() {
    const db = await createTestDatabase('migrations');
    return {
      target: { postgresUrl: db.url },
      env: { POSTGRES_URL: db.url },
      query: async <T>(sql: string) => {
        const client = new Client({ connectionString: db.url });
        await client.connect();
        try {
          return (await client.query(sql)).rows as T[];
        } finally {
          await client.end();
        }
      },
      drop: db.drop,
    };
  },
  slowStatement: 'SELECT pg_sleep(0.3);',
  async holdMigrationLock(db) {
    const client = new Client({
      connectionString: (db.target as { postgresUrl: string }).postgresUrl,
    });
    await client.connect();
    await client.query('SELECT pg_advisory_lock(5180239417)');
    return async () => {
      await client.end();
    };
  },
};

const sqlite: Dialect = {
  name: 'SQLite',
  async create(tmp) {
    const file = path.join(tmp, 'db', 'test.db');
    return {
      target: { sqliteUrl: `file:${file}` },
      env: { SQLITE_URL: `file:${file}` },
      query: async <T>(sql: string) => {
        const db = new Database(file, { readonly: true });
        try {
          return db.prepare(sql).all() as T[];
        } finally {
          db.close();
        }
      },
      drop: async () => undefined,
    };
  },
  // About half a second of work inside the write transaction.
  slowStatement:
    'CREATE TABLE slow AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000000) SELECT count(*) AS c FROM n;',
  async holdMigrationLock(db) {
    const conn = new Database((db.target as { sqliteUrl: string }).sqliteUrl.slice('file:'.length));
    conn.exec('BEGIN IMMEDIATE');
    return async () => {
      conn.exec('ROLLBACK');
      conn.close();
    };
  },
};

describe.each([postgres, sqlite])('migration runner on $name', (dialect) => {
  let tmp: string;
  let dir: string;
  let db: TestDatabase;

  const write = (name: string, sql: string) => {
    mkdirSync(path.join(dir, name), { recursive: true });
    writeFileSync(path.join(dir, name, 'migration.sql'), sql);
  };
  const run = (extra: Partial<RunMigrationsOptions> = {}) =>
    runMigrations({ dir, ...db.target, ...extra } as RunMigrationsOptions);
  const appliedNames = async () =>
    (await db.query<{ name: string }>('SELECT name FROM _migrations ORDER BY name')).map(
      (r) => r.name,
    );

  beforeEach(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'migrations-test-'));
    dir = path.join(tmp, 'migrations');
    mkdirSync(dir);
    // Not a migration: Prisma's lock file sits beside them and must be ignored.
    writeFileSync(path.join(dir, 'migration_lock.toml'), 'provider = "sqlite"\n');
    db = await dialect.create(tmp);
    // Deliberately not idempotent (no IF NOT EXISTS, primary keys): applying twice would fail.
    write(
      '20250101000000_widgets',
      "CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO widgets (id, name) VALUES (1, 'first');\n",
    );
    write('20250102000000_second_widget', "INSERT INTO widgets (id, name) VALUES (2, 'second');\n");
  });

  afterEach(async () => {
    await db.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('applies pending migrations in name order and records name, checksum and time', async () => {
    const report = await run();

    expect(report).toEqual({
      applied: ['20250101000000_widgets', '20250102000000_second_widget'],
      alreadyApplied: [],
    });
    const rows = await db.query<{ name: string; checksum: string; applied_at: unknown }>(
      'SELECT name, checksum, applied_at FROM _migrations ORDER BY name',
    );
    expect(rows.map((r) => [r.name, r.checksum])).toEqual([
      [
        '20250101000000_widgets',
        checksumOf(
          "CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO widgets (id, name) VALUES (1, 'first');\n",
        ),
      ],
      [
        '20250102000000_second_widget',
        checksumOf("INSERT INTO widgets (id, name) VALUES (2, 'second');\n"),
      ],
    ]);
    for (const row of rows)
      expect(new Date(String(row.applied_at as string)).getTime()).not.toBeNaN();
    expect(await db.query('SELECT id, name FROM widgets ORDER BY id')).toEqual([
      { id: 1, name: 'first' },
      { id: 2, name: 'second' },
    ]);
  });

  test('a second run applies nothing, and a migration added later is applied alone', async () => {
    await run();

    expect(await run()).toEqual({
      applied: [],
      alreadyApplied: ['20250101000000_widgets', '20250102000000_second_widget'],
    });
    write('20250103000000_third_widget', "INSERT INTO widgets (id, name) VALUES (3, 'third');\n");
    expect((await run()).applied).toEqual(['20250103000000_third_widget']);
    expect(await db.query('SELECT id FROM widgets ORDER BY id')).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 3 },
    ]);
  });

  test('refuses to run when an applied migration was edited, and applies nothing else', async () => {
    await run();
    write('20250102000000_second_widget', "INSERT INTO widgets (id, name) VALUES (2, 'edited');\n");
    write('20250103000000_third_widget', "INSERT INTO widgets (id, name) VALUES (3, 'third');\n");

    const attempt = run();

    await expect(attempt).rejects.toBeInstanceOf(MigrationChecksumError);
    await expect(attempt).rejects.toThrow(
      /Migration 20250102000000_second_widget was changed after it was applied.*new migration/,
    );
    expect(await appliedNames()).toEqual([
      '20250101000000_widgets',
      '20250102000000_second_widget',
    ]);
    expect(await db.query('SELECT id FROM widgets ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  test('line-ending changes alone do not count as an edit', async () => {
    await run();
    write(
      '20250102000000_second_widget',
      "INSERT INTO widgets (id, name) VALUES (2, 'second');\r\n",
    );

    expect((await run()).applied).toEqual([]);
  });

  test('a failing migration is rolled back whole and not recorded; earlier ones stay', async () => {
    write(
      '20250103000000_broken',
      'CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table (id) VALUES (1);\n',
    );

    const attempt = run();

    await expect(attempt).rejects.toBeInstanceOf(MigrationFailedError);
    await expect(attempt).rejects.toThrow(
      /Migration 20250103000000_broken failed and was rolled back/,
    );
    expect(await appliedNames()).toEqual([
      '20250101000000_widgets',
      '20250102000000_second_widget',
    ]);
    const halfDone =
      dialect === postgres
        ? await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'")
        : await db.query("SELECT 1 FROM sqlite_master WHERE name = 'half_done'");
    expect(halfDone).toEqual([]);
  });

  test('several processes starting at once apply each migration exactly once', async () => {
    write(
      '20250103000000_slow',
      `${dialect.slowStatement}\nINSERT INTO widgets (id, name) VALUES (3, 'slow');\n`,
    );
    write('20250104000000_after_slow', "INSERT INTO widgets (id, name) VALUES (4, 'after');\n");
    const goFile = path.join(tmp, 'go');

    const reports = await runConcurrently(
      3,
      { MIGRATIONS_DIR: dir, GO_FILE: goFile, ...db.env },
      goFile,
    );

    const allApplied = reports.flatMap((r) => r.applied).sort();
    expect(allApplied).toEqual([
      '20250101000000_widgets',
      '20250102000000_second_widget',
      '20250103000000_slow',
      '20250104000000_after_slow',
    ]);
    for (const report of reports) {
      expect([...report.applied, ...report.alreadyApplied].sort()).toEqual(allApplied);
    }
    expect(await db.query('SELECT id FROM widgets ORDER BY id')).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 3 },
      { id: 4 },
    ]);
  });

  test('gives up with a clear error when another process keeps the lock too long', async () => {
    await run();
    const release = await dialect.holdMigrationLock(db);
    try {
      write('20250103000000_third_widget', "INSERT INTO widgets (id, name) VALUES (3, 'third');\n");
      await expect(run({ lockTimeoutMs: 200 })).rejects.toThrow(
        /Another process has (held|been migrating)/,
      );
    } finally {
      await release();
    }
    expect((await run()).applied).toEqual(['20250103000000_third_widget']);
  });

  test('a missing folder is reported by path before the database is touched', async () => {
    await expect(
      runMigrations({ dir: path.join(tmp, 'nope'), ...db.target } as RunMigrationsOptions),
    ).rejects.toThrow(/Migrations folder .*nope does not exist/);
  });
});

/** Starts `count` runner processes, releases them together once all are up, returns reports. */
async function runConcurrently(
  count: number,
  env: Record<string, string>,
  goFile: string,
): Promise<{ applied: string[]; alreadyApplied: string[] }[]> {
  const tsx = require.resolve('tsx/cli');
  const script = path.join(__dirname, 'test', 'runnerProcess.ts');
  let ready = 0;
  const runs = Array.from(
    { length: count },
    () =>
      new Promise<{ applied: string[]; alreadyApplied: string[] }>((resolve, reject) => {
        const child = spawn(process.execPath, [tsx, script], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.startsWith('ready\n') && !out.slice(6).length && ++ready === count) {
            writeFileSync(goFile, '');
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => {
          if (code !== 0) return reject(new Error(`runner exited ${code}: ${err}`));
          const last = out.trim().split('\n').pop() ?? '';
          resolve(JSON.parse(last) as { applied: string[]; alreadyApplied: string[] });
        });
      }),
  );
  return Promise.all(runs);
}
