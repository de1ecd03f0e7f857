/**
 * The catalog store's outage classifier (docs/subgraph-skeleton.md, "Outage classification"):
 * true means the SQLite file cannot be used right now (locked by a writer past the busy timeout,
 * or the disk refused a read), so a caller should retry shortly; false means the query itself is
 * wrong for this database (a missing table, a bad value), which retrying will not change.
 *
 * Errors arrive from Prisma 6 on the better-sqlite3 adapter either mapped (`SQLITE_BUSY` becomes
 * the adapter kind `SocketTimeout`, with the driver's code kept as `originalCode`) or, for codes
 * the adapter does not map, as better-sqlite3's own SqliteError with the code in `code`.
 */

/** Primary result codes (the part before the first extended `_`) that describe the file, not the query. */
const UNAVAILABLE_SQLITE_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_PROTOCOL',
]);

interface ErrorLike {
  code?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
}

const primaryCode = (code: string) => code.match(/^SQLITE_[A-Z]+/)?.[0] ?? code;

export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const err = error as ErrorLike;
  const adapterCause =
    (err as { name?: unknown }).name === 'DriverAdapterError'
      ? (err.cause as { kind?: unknown; originalCode?: unknown } | undefined)
      : err.meta?.driverAdapterError?.cause;
  if (adapterCause) {
    if (adapterCause.kind === 'SocketTimeout') return true;
    return (
      typeof adapterCause.originalCode === 'string' &&
      UNAVAILABLE_SQLITE_CODES.has(primaryCode(adapterCause.originalCode))
    );
  }
  if (typeof err.code === 'string' && UNAVAILABLE_SQLITE_CODES.has(primaryCode(err.code))) {
    return true;
  }
  // Prisma wraps some driver failures once more; look one level down.
  return err.cause !== undefined && err.cause !== error ? isStoreUnavailable(err.cause) : false;
}
