import { isStoreUnavailable } from './outages';

/** Error shapes as Prisma 6 on the better-sqlite3 adapter produces them. */
const known = (cause: object) =>
  Object.assign(new Error('prisma'), {
    name: 'PrismaClientKnownRequestError',
    code: 'P2010',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
const sqliteError = (code: string) => Object.assign(new Error(code), { name: 'SqliteError', code });

describe('telling a catalog file that cannot be used from a query that is wrong', () => {
  test.each([
    ['locked past the busy timeout', known({ kind: 'SocketTimeout', originalCode: 'SQLITE_BUSY' })],
    ['a disk read failed', known({ kind: 'sqlite', originalCode: 'SQLITE_IOERR_READ' })],
    ['the file cannot be opened', sqliteError('SQLITE_CANTOPEN')],
    [
      'wrapped once more',
      Object.assign(new Error('wrapped'), { cause: sqliteError('SQLITE_BUSY') }),
    ],
  ])('%s: unavailable', (_name, err) => {
    expect(isStoreUnavailable(err)).toBe(true);
  });

  test.each([
    ['a table that was never migrated', known({ kind: 'TableDoesNotExist', table: 'products' })],
    ['a duplicate id', known({ kind: 'UniqueConstraintViolation' })],
    ['a syntax error', sqliteError('SQLITE_ERROR')],
    ['not an error object', 'boom'],
    ['null', null],
  ])('%s: not an outage', (_name, err) => {
    expect(isStoreUnavailable(err)).toBe(false);
  });
});
