/** An applied migration's file was edited afterwards: the database and the code disagree. */
export class MigrationChecksumError extends Error {
  override name = 'MigrationChecksumError';
  constructor(
    readonly migration: string,
    readonly recordedChecksum: string,
    readonly fileChecksum: string,
  ) {
    super(
      `Migration ${migration} was changed after it was applied (recorded checksum ` +
        `${recordedChecksum.slice(0, 12)}…, file now ${fileChecksum.slice(0, 12)}…). ` +
        'Applied migrations must never be edited: restore the file from version control and put ' +
        'the change in a new migration (npm run migration:new -- <schema> <name>).',
    );
  }
}

/** A migration's SQL failed; its transaction was rolled back, so nothing of it remains. */
export class MigrationFailedError extends Error {
  override name = 'MigrationFailedError';
  constructor(
    readonly migration: string,
    override readonly cause: unknown,
  ) {
    super(
      `Migration ${migration} failed and was rolled back: ${
        cause instanceof Error ? cause.message : String(cause)
      }. Fix the SQL (it has not been recorded as applied) and start again.`,
    );
  }
}
