/**
 * `npm run migration:new -- <schema> <name>` writes the next migration of prisma/<schema>/:
 * the SQL that takes the database from the previous migration's schema to what schema.prisma
 * describes now, as `prisma migrate diff` computes it, into
 * prisma/<schema>/migrations/<UTC timestamp>_<name>/migration.sql, with a copy of schema.prisma
 * beside it. Review the SQL, then commit both; services apply it at their next start
 * (shared/src/migrations) and `npm run migrate` applies it by hand.
 *
 * Why datamodel-to-datamodel (the copy of schema.prisma kept in each migration folder) and not
 * `--from-migrations`: with the WebAssembly engine on PostgreSQL, `--from-migrations` applies
 * the migrations to the database the config points at (the pg adapter's shadow database keeps
 * the connection string's database) and then fails to read it back (Prisma issue #27403). The
 * snapshot diff needs no database at all and works the same for SQLite and PostgreSQL.
 * See prisma/README.md.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const EMPTY = '-- This is an empty migration.';
const SNAPSHOT = 'schema.prisma';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function main(): void {
  const [schemaName, name] = process.argv.slice(2);
  if (!schemaName || !name) {
    fail(
      'Usage: npm run migration:new -- <schema> <name>   e.g. npm run migration:new -- product add_sku',
    );
  }
  if (!/^[a-z0-9_]+$/.test(name)) fail(`Name "${name}": use lower_snake_case, e.g. add_sku.`);
  const folder = path.join(root, 'prisma', schemaName);
  const schema = path.join(folder, 'schema.prisma');
  const config = path.join(folder, 'prisma.config.ts');
  for (const file of [schema, config]) {
    if (!existsSync(file)) fail(`${path.relative(root, file)} does not exist.`);
  }
  const migrations = path.join(folder, 'migrations');
  mkdirSync(migrations, { recursive: true });

  const previous = readdirSync(migrations, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .pop();
  let from = ['--from-empty'];
  if (previous) {
    const snapshot = path.join(migrations, previous, SNAPSHOT);
    if (!existsSync(snapshot)) {
      fail(
        `${path.relative(root, snapshot)} is missing: each migration folder keeps the schema.prisma ` +
          'it was generated from, and the next migration is the difference to it. Restore it from ' +
          `the commit that added ${previous} (git show <commit>:${path.relative(root, schema)}).`,
      );
    }
    from = ['--from-schema-datamodel', snapshot];
  }

  const sql = prismaMigrateDiff(config, [...from, '--to-schema-datamodel', schema]);
  if (sql.trim() === EMPTY) {
    process.stdout.write(
      `No changes: ${path.relative(root, schema)} is what the last migration built.\n`,
    );
    return;
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = path.join(migrations, `${stamp}_${name}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'migration.sql'), sql.endsWith('\n') ? sql : `${sql}\n`);
  copyFileSync(schema, path.join(dir, SNAPSHOT));
  process.stdout.write(
    `Wrote ${path.relative(root, dir)}/migration.sql; review it, then commit the folder.\n`,
  );
}

function prismaMigrateDiff(config: string, args: string[]): string {
  const prisma = path.join(root, 'node_modules', '.bin', 'prisma');
  try {
    return execFileSync(prisma, ['migrate', 'diff', '--config', config, ...args, '--script'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    fail(`prisma migrate diff failed:\n${stderr || String(err)}`);
  }
}

main();
