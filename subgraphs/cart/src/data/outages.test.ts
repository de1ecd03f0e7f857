import {
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { badUserInput, conflict } from '@shop/shared';
import { isStoreUnavailable } from './outages';

const serverError = (code: number, message: string) =>
  new MongoServerError({ ok: 0, code, errmsg: message });

describe('is the cart store unavailable?', () => {
  test.each([
    [
      'a refused or dropped connection',
      new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017'),
    ],
    [
      'no server selectable within the timeout',
      // The driver builds it from a TopologyDescription; an empty one is enough here.
      new MongoServerSelectionError('Server selection timed out after 5000 ms', {} as never),
    ],
    ['a client closed under the handler', new MongoTopologyClosedError()],
    [
      'FerretDB without its PostgreSQL (InternalError, as measured)',
      serverError(
        1,
        '[msg_insert.go:168 handler.(*Handler).MsgInsert] failed to connect to `user=postgres database=ferretdb`: dial error: connect: connection refused',
      ),
    ],
    ['a primary stepping down', serverError(189, 'PrimarySteppedDown')],
    ['a cart contended past its retries', conflict('Your cart is being changed by many requests')],
  ])('yes: %s', (_what, err) => {
    expect(isStoreUnavailable(err)).toBe(true);
  });

  test.each([
    ['a document the server refuses', serverError(2, 'BadValue')],
    ['a duplicate key that escaped the store', serverError(11000, 'E11000 duplicate key')],
    ['a rule broken by the data', badUserInput('Quantity must be between 1 and 99')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'quantity')")],
    ['not an error at all', 'boom'],
  ])('no: %s', (_what, err) => {
    expect(isStoreUnavailable(err)).toBe(false);
  });
});
