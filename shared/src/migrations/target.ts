import type { MigrationFile } from './migrationFiles';

/** A row of the `_migrations` table. */
export interface AppliedMigration {
  name: string;
  checksum: string;
  appliedAt: string;
}

/**
 * One database as the runner sees it. Each implementation supplies its own way of keeping two
 * runners (two replicas starting at once) from applying the same file twice.
 */
export interface MigrationTarget {
  /** Where, for logs and errors; never contains a password. */
  readonly description: string;
  /** Creates `_migrations` when missing. */
  ensureTable(): Promise<void>;
  applied(): Promise<AppliedMigration[]>;
  /**
   * In one transaction, holding the target's write lock: re-checks `_migrations`, and unless
   * another runner recorded the file meanwhile, runs its SQL and records it. Returns the
   * existing row when another runner was first.
   */
  apply(file: MigrationFile): Promise<'applied' | AppliedMigration>;
  close(): Promise<void>;
}

export const MIGRATIONS_TABLE = '_migrations';
