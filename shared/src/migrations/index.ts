export { runMigrations, type RunMigrationsOptions, type MigrationReport } from './runMigrations';
export { MigrationChecksumError, MigrationFailedError } from './errors';
export { readMigrationFiles, checksumOf, type MigrationFile } from './migrationFiles';
export { sqliteFilePath } from './sqliteTarget';
export { MIGRATIONS_TABLE, type AppliedMigration } from './target';
