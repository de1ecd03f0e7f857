/**
 * Tells "PostgreSQL cannot be used right now" apart from "PostgreSQL refused this data", for the
 * services on PostgreSQL through Prisma (orders, checkout); each one's `src/data/outages.ts`
 * names it `isStoreUnavailable`.
 *
 * A consumer needs the difference: an outage must never dead-letter a good event (it is
 * retried until PostgreSQL is back), while an event the database rejects (a CHECK or a value out
 * of range) will be rejected every time, so it goes to the dead-letter topic after a few tries.
 *
 * Errors arrive in three shapes with Prisma 6 on the pg adapter: a PrismaClientKnownRequestError
 * with a P-code and `meta.driverAdapterError`, a bare DriverAdapterError with `cause`, or (for
 * failures the adapter does not map, such as a connection dropped mid-query) a plain pg Error.
 */

/** Driver adapter error kinds (see @prisma/driver-adapter-utils) that describe the server, not the data. */
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
  'ConnectionClosed',
  'TlsConnectionError',
  'TooManyConnections',
  'SocketTimeout',
  'TransactionWriteConflict',
  'TransactionAlreadyClosed',
  // A schema that is not (yet) migrated is a deployment problem, not the message's fault.
  'TableDoesNotExist',
  'ColumnNotFound',
]);

/**
 * SQLSTATE classes that mean the server or the session is in trouble: 08 connection exception,
 * 3D invalid catalog name, 40 transaction rollback (serialization failure, deadlock), 53
 * insufficient resources, 57 operator intervention (admin shutdown, query canceled), 58 system
 * error. Class 22 (data exception) and 23 (integrity constraint) are about the data.
 */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '3D', '40', '53', '57', '58']);

/**
 * Prisma codes that mean the same: P1xxx connection and server errors, P2024 pool timeout,
 * P2028 transaction API error (e.g. a transaction that expired while the database was slow),
 * P2034 write conflict or deadlock.
 */
const UNAVAILABLE_PRISMA_CODES = /^(P1\d{3}|P2024|P2028|P2034)$/;

/** Node socket errors and pg's own messages for a connection that went away. */
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGES =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|terminating connection|the database system is (starting up|shutting down)|client has encountered a connection error|Connection ended|can't reach database server/i;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: unknown } };
}

function adapterCause(err: ErrorLike): { kind?: unknown; code?: unknown } | undefined {
  const cause = err.name === 'DriverAdapterError' ? err.cause : err.meta?.driverAdapterError?.cause;
  return typeof cause === 'object' && cause !== null ? cause : undefined;
}

export function isPostgresUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const err = error as ErrorLike;
  const cause = adapterCause(err);
  if (cause) {
    if (typeof cause.kind === 'string' && UNAVAILABLE_KINDS.has(cause.kind)) return true;
    if (cause.kind === 'postgres' && typeof cause.code === 'string') {
      return UNAVAILABLE_SQLSTATE_CLASSES.has(cause.code.slice(0, 2));
    }
    return false;
  }
  if (typeof err.code === 'string') {
    if (UNAVAILABLE_PRISMA_CODES.test(err.code) || UNAVAILABLE_NODE_CODES.has(err.code))
      return true;
    // A raw pg DatabaseError carries its SQLSTATE in `code`.
    if (/^[0-9A-Z]{5}$/.test(err.code) && UNAVAILABLE_SQLSTATE_CLASSES.has(err.code.slice(0, 2))) {
      return true;
    }
  }
  if (typeof err.message === 'string' && UNAVAILABLE_MESSAGES.test(err.message)) return true;
  // Prisma wraps some driver failures once more; look one level down.
  return err.cause !== undefined && err.cause !== error ? isPostgresUnavailable(err.cause) : false;
}
