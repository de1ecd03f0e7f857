/**
 * `npm run migrate [-- <schema>...]` applies the pending migrations of every prisma/<schema>/
 * (or of the ones named) with the same runner the services use at start, and prints what it
 * did. Services migrate themselves when they start, so this is for operators: migrating before
 * a deploy, or checking that a database is current.
 *
 * Database per schema: <SCHEMA>_DATABASE_URL (PRODUCT_DATABASE_URL, CHECKOUT_DATABASE_URL,
 * ORDERS_DATABASE_URL). Defaults match the local infrastructure of scripts/infra.sh: SQLite at
 * .local/<schema>.db, PostgreSQL database shop_<schema> on 127.0.0.1:5432. The services
 * themselves read POSTGRES_URL; one variable cannot name two databases here, hence the prefix.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger, runMigrations } from '@shop/shared';

const root = path.resolve(__dirname, '..');

interface Target {
  schema: string;
  dir: string;
  provider: string;
  url: string;
}

function targets(names: string[]): Target[] {
  const all = readdirSync(path.join(root, 'prisma'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(root, 'prisma', e.name, 'migrations')))
    .map((e) => e.name)
    .sort();
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    throw new Error(`No migrations for ${unknown.join(', ')}; known: ${all.join(', ')}.`);
  }
  return (names.length > 0 ? names : all).map((schema) => {
    const provider = datasourceProvider(path.join(root, 'prisma', schema, 'schema.prisma'));
    const fallback =
      provider === 'sqlite'
        ? `file:${path.join(root, '.local', `${schema}.db`)}`
        : `postgres://postgres:postgres@127.0.0.1:5432/shop_${schema}`;
    const url = process.env[`${schema.toUpperCase()}_DATABASE_URL`] ?? fallback;
    return { schema, dir: path.join(root, 'prisma', schema, 'migrations'), provider, url };
  });
}

function datasourceProvider(schemaFile: string): string {
  const datasource = /datasource\s+\w+\s*\{([^}]*)\}/.exec(readFileSync(schemaFile, 'utf8'));
  const provider = datasource && /provider\s*=\s*"(\w+)"/.exec(datasource[1] ?? '');
  if (!provider?.[1]) throw new Error(`${schemaFile} has no datasource provider.`);
  return provider[1];
}

async function main(): Promise<void> {
  const logger = createLogger('migrate', process.env.LOG_LEVEL ?? 'warn');
  for (const target of targets(process.argv.slice(2))) {
    const report =
      target.provider === 'sqlite'
        ? await runMigrations({ dir: target.dir, sqliteUrl: target.url, logger })
        : await runMigrations({ dir: target.dir, postgresUrl: target.url, logger });
    const applied = report.applied.length > 0 ? report.applied.join(', ') : 'nothing pending';
    process.stdout.write(
      `${target.schema}: ${applied} (${report.alreadyApplied.length} already applied)\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
