/**
 * A migration runner in its own process, for the test that starts several at once.
 * Prints "ready", waits until the file named by GO_FILE exists (so every process is past its
 * slow start-up before any begins), runs, and prints its report as JSON.
 */
import { existsSync } from 'node:fs';
import { runMigrations } from '../runMigrations';

async function main(): Promise<void> {
  const { MIGRATIONS_DIR, SQLITE_URL, POSTGRES_URL, GO_FILE } = process.env;
  if (!MIGRATIONS_DIR || !GO_FILE || (!SQLITE_URL && !POSTGRES_URL)) {
    throw new Error('set MIGRATIONS_DIR, GO_FILE and SQLITE_URL or POSTGRES_URL');
  }
  process.stdout.write('ready\n');
  while (!existsSync(GO_FILE)) await new Promise((r) => setTimeout(r, 5));
  const report = SQLITE_URL
    ? await runMigrations({ dir: MIGRATIONS_DIR, sqliteUrl: SQLITE_URL })
    : await runMigrations({ dir: MIGRATIONS_DIR, postgresUrl: POSTGRES_URL as string });
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
