import { isPostgresUnavailable } from './postgresOutages';

/** Error shapes as Prisma 6.19 on the pg adapter produces them (captured from real failures). */
const known = (code: string, cause: object) =>
  Object.assign(new Error('prisma'), {
    name: 'PrismaClientKnownRequestError',
    code,
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
const adapter = (cause: object) =>
  Object.assign(new Error('adapter'), { name: 'DriverAdapterError', cause });

describe('telling a database outage from rejected data', () => {
  test.each([
    ['server not reachable (P1001)', known('P1001', { kind: 'DatabaseNotReachable' })],
    ['database missing (P1003)', known('P1003', { kind: 'DatabaseDoesNotExist' })],
    ['connection reset', adapter({ kind: 'ConnectionClosed' })],
    ['too many connections', adapter({ kind: 'TooManyConnections' })],
    ['admin shutdown (57P01)', adapter({ kind: 'postgres', code: '57P01' })],
    ['deadlock (40P01)', adapter({ kind: 'postgres', code: '40P01' })],
    ['schema not migrated', adapter({ kind: 'TableDoesNotExist' })],
    ['pool timeout (P2024)', Object.assign(new Error('pool'), { code: 'P2024' })],
    ['a raw socket error', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })],
    ['pg losing the connection', new Error('Connection terminated unexpectedly')],
  ])('%s is an outage', (_what, err) => {
    expect(isPostgresUnavailable(err)).toBe(true);
  });

  test.each([
    ['a CHECK violation (23514)', adapter({ kind: 'postgres', code: '23514' })],
    ['NUL in text (22021)', adapter({ kind: 'postgres', code: '22021' })],
    ['a value out of range', adapter({ kind: 'ValueOutOfRange' })],
    ['a unique violation', known('P2002', { kind: 'UniqueConstraintViolation' })],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error at all', 'boom'],
  ])('%s is not', (_what, err) => {
    expect(isPostgresUnavailable(err)).toBe(false);
  });
});
