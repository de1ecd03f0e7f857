import * as grpc from '@grpc/grpc-js';
import CircuitBreaker from 'opossum';
import type { MethodDefinition } from '@grpc/proto-loader';
import { rpcClientDuration, type Logger } from '@shop/shared';

/**
 * Statuses that say the dependency is unwell rather than that it answered "no": by default only
 * these count towards opening the breaker, so a run of declined cards or short stock never makes
 * a caller refuse to call a healthy service.
 */
export const UNHEALTHY_STATUSES: ReadonlySet<grpc.status> = new Set<grpc.status>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.CANCELLED,
]);

/**
 * A dependency could not be asked, or did not answer in time. `mayHaveApplied` is false only
 * when the request certainly never left this process (the breaker was open); otherwise the
 * service may have done the work and lost the answer, which is why a caller that retries must
 * make the call idempotent (as every checkout saga call is).
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: string,
    readonly method: string,
    readonly mayHaveApplied: boolean,
    cause: unknown,
  ) {
    super(
      `${dependency}.${method} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

/** True when `err` is a gRPC error with one of `codes` (the service's "no", for the caller to map). */
export function hasStatus(err: unknown, ...codes: grpc.status[]): err is grpc.ServiceError {
  return isServiceError(err) && codes.includes(err.code);
}

/**
 * The response type of method `M` of a loaded service definition, e.g.
 * `ResponseOf<typeof protos.inventory().Inventory.service, 'Reserve'>`. Read from the
 * definition because the client methods are overloaded, which defeats inference.
 */
export type ResponseOf<D, M extends keyof D> =
  D[M] extends MethodDefinition<infer _Req, infer _Res, infer _OutReq, infer OutRes>
    ? OutRes
    : never;

/** Starts one unary call with the options given (the deadline) and reports to `callback`. */
export type UnaryInvocation<Res> = (
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => unknown;

export interface GrpcCaller {
  /** Runs `invoke` with a deadline of `deadlineMs` from now, through the breaker. */
  call<Res>(name: string, invoke: UnaryInvocation<Res>): Promise<Res>;
  breaker: CircuitBreaker;
}

export interface GrpcCallerOptions {
  /** How long an open breaker fails fast before letting a trial call through (default 3 s). */
  resetTimeoutMs?: number;
  /** The statuses that mean the dependency is unwell (default UNHEALTHY_STATUSES). */
  unhealthyStatuses?: ReadonlySet<grpc.status>;
}

/**
 * Channels that come back quickly after the service restarts: grpc-js otherwise backs off up to
 * two minutes between reconnect attempts, longer than any shopper should wait.
 */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/**
 * A client of a loaded service (e.g. `protos.cart().CartService`, typed as its generated client
 * interface) on an insecure channel (internal traffic only) with CHANNEL_OPTIONS.
 */
export function connectClient<Client>(
  Service: new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ClientOptions,
  ) => Client,
  address: string,
): Client {
  return new Service(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

/**
 * One breaker per dependency (opossum). Every call carries a deadline (the gRPC way to bound a
 * call: the server sees it too and can stop working on a call nobody waits for). When the
 * breaker is open, calls fail at once with DependencyUnavailableError instead of each waiting
 * for its deadline, so an outage costs a caller milliseconds, not 30 s. Unhealthy statuses
 * become DependencyUnavailableError too; every other error (the service's answer) is rethrown
 * as it came, for the caller to map onto its own domain.
 */
export function createGrpcCaller(
  dependency: string,
  deadlineMs: number,
  logger: Logger,
  options: GrpcCallerOptions = {},
): GrpcCaller {
  const unhealthy = options.unhealthyStatuses ?? UNHEALTHY_STATUSES;
  const isUnhealthy = (err: unknown) => isServiceError(err) && unhealthy.has(err.code);
  const breaker = new CircuitBreaker((work: () => Promise<unknown>) => work(), {
    name: dependency,
    timeout: false, // the gRPC deadline bounds each call
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    rollingCountTimeout: 10_000,
    resetTimeout: options.resetTimeoutMs ?? 3_000,
    // true = "not a failure of the dependency": business answers leave the breaker alone.
    errorFilter: (err: unknown) => !isUnhealthy(err),
  });
  const log = logger.child({ dependency });
  breaker.on('open', () => log.warn('circuit breaker open: failing calls fast'));
  breaker.on('halfOpen', () => log.info('circuit breaker half-open: trying one call'));
  breaker.on('close', () => log.info('circuit breaker closed'));

  return {
    breaker,
    async call<Res>(name: string, invoke: UnaryInvocation<Res>): Promise<Res> {
      // Trace context needs nothing here: the OpenTelemetry gRPC instrumentation puts the
      // active span's traceparent in each call's metadata (shared/src/telemetry).
      const work = () =>
        new Promise<Res>((resolve, reject) => {
          const timer = rpcClientDuration.startTimer({ rpc_service: dependency, rpc_method: name });
          invoke({ deadline: Date.now() + deadlineMs }, (err, response) => {
            timer({ rpc_grpc_status_code: grpc.status[err?.code ?? grpc.status.OK] });
            if (err) reject(err);
            else if (response) resolve(response);
            else reject(new Error(`empty ${name} response`));
          });
        });
      try {
        return (await breaker.fire(work)) as Res;
      } catch (err) {
        if ((err as { code?: unknown }).code === 'EOPENBREAKER') {
          throw new DependencyUnavailableError(dependency, name, false, err);
        }
        if (isUnhealthy(err)) {
          throw new DependencyUnavailableError(dependency, name, true, err);
        }
        throw err;
      }
    },
  };
}
