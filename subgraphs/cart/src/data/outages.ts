/**
 * Tells "the cart store cannot be used right now" apart from every other failure, for the
 * checkout-events consumer: an outage must never dead-letter a good event (it waits until
 * MongoDB is back, and so does every message behind it), while other failures are retried a
 * few times and then dead-lettered so one message cannot block its partition.
 */
import {
  MongoClientClosedError,
  MongoError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { ErrorCode } from '@shop/shared';

/**
 * Server error codes that describe the server, not the data: the driver's retryable set
 * (HostUnreachable 6, HostNotFound 7, NetworkTimeout 89, ShutdownInProgress 91,
 * ReadConcernMajorityNotAvailableYet 134, PrimarySteppedDown 189, ExceededTimeLimit 262,
 * SocketException 9001, NotWritablePrimary 10107, InterruptedAtShutdown 11600,
 * InterruptedDueToReplStateChange 11602, NotPrimaryNoSecondaryOk 13435,
 * NotPrimaryOrSecondary 13436), MaxTimeMSExpired 50, and InternalError 1: FerretDB answers
 * every command with code 1 while its PostgreSQL is unreachable ("failed to connect to
 * `user=postgres database=ferretdb`: … connection refused", or "unexpected EOF" when the
 * connection drops mid-query; measured on 1.24.2, see docs/ferretdb.md).
 */
const UNAVAILABLE_CODES = new Set([
  1, 6, 7, 50, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436,
]);

export function isStoreUnavailable(err: unknown): boolean {
  if (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoOperationTimeoutError ||
    // The client was closed under a running handler: not the message's fault either.
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoClientClosedError ||
    err instanceof MongoNotConnectedError
  ) {
    return true;
  }
  if (err instanceof MongoError) {
    if (
      err.hasErrorLabel(MongoErrorLabel.RetryableWriteError) ||
      err.hasErrorLabel(MongoErrorLabel.ResetPool)
    ) {
      return true;
    }
    return typeof err.code === 'number' && UNAVAILABLE_CODES.has(err.code);
  }
  // CartRepository gives up with CONFLICT after losing many races for one cart to other
  // writers: contention passes, so the message is retried like during an outage.
  const code = (err as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return code === ErrorCode.CONFLICT;
}
