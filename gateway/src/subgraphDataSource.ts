import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import CircuitBreaker from 'opossum';
import {
  currentRequestContext,
  ErrorCode,
  REQUEST_ID_HEADER,
  serviceUnavailable,
  type Logger,
} from '@shop/shared';
import type { GatewayContext } from './auth';
import { requestDeadline, subgraphFetchSignal } from './edge/deadline';
import { edgeMetrics } from './edge/metrics';
import { subgraphFetchDuration } from './observability/subgraphFetchMetrics';

export type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/** Codes a subgraph may raise on purpose; they reach the client as the subgraph meant them. */
const PASS_THROUGH_CODES = new Set<string>(
  Object.values(ErrorCode).filter((c) => c !== ErrorCode.INTERNAL_SERVER_ERROR),
);

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  timeoutMs: number;
  logger: Logger;
  breaker: { errorThresholdPercentage: number; volumeThreshold: number; resetTimeout: number };
  /** Wraps the breaker's fetcher (gateway/src/performance: the public response cache). */
  wrapFetcher?: (fetcher: Fetcher) => Fetcher;
}

/**
 * How the gateway talks to one subgraph: Node's own fetch with a deadline (a hung subgraph
 * must not hold a client request forever), the caller's verified token forwarded so the
 * subgraph checks it again, and transport failures turned into SERVICE_UNAVAILABLE naming the
 * subgraph instead of a connection error with host and port.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(private readonly options: SubgraphDataSourceOptions) {
    const fetcher = breakerFetcher(options);
    super({ url: options.url, fetcher: options.wrapFetcher?.(fetcher) ?? fetcher });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    // Headers start empty for every subgraph request, so only the token we verified goes out;
    // whatever else the client sent stays at the edge. The request id goes along so the
    // subgraph's log lines join the gateway's (traceparent is added by the http instrumentation).
    const { viewer, cartToken } = context as Partial<GatewayContext>;
    if (viewer?.token) request.http?.headers.set('authorization', `Bearer ${viewer.token}`);
    const requestId = currentRequestContext()?.requestId;
    if (requestId) request.http?.headers.set(REQUEST_ID_HEADER, requestId);
    // A guest's cart token is a credential for one cart: only the cart subgraph may see it.
    if (cartToken && this.options.name === 'cart') {
      request.http?.headers.set('x-cart-token', cartToken);
    }
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const timer = subgraphFetchDuration.startTimer({ subgraph: this.options.name });
    // The request's overall deadline (REQUEST_TIMEOUT_MS) reaches the fetcher through this scope.
    const deadline = (options.context as Partial<GatewayContext> | undefined)?.deadline;
    try {
      const response = await requestDeadline.run(deadline, () => super.process(options));
      timer({ outcome: response.errors?.length ? 'graphql_error' : 'ok' });
      return response;
    } catch (err) {
      timer({ outcome: err instanceof GraphQLError ? 'graphql_error' : 'transport_error' });
      throw err;
    }
  }

  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse): never {
    const { name, logger } = this.options;
    if ((error as { code?: unknown }).code === 'EOPENBREAKER') {
      throw serviceUnavailable(
        `The ${name} service is unavailable (it kept failing; the gateway retries it shortly). The rest of the graph still answers.`,
      );
    }
    if (!response) {
      logger.warn({ err: error, subgraph: name }, 'subgraph unreachable');
      throw serviceUnavailable(
        `The ${name} service is not answering right now; try again in a moment.`,
      );
    }
    const intended = intendedError(error);
    if (intended) throw intended;
    if (response.status >= 500) {
      logger.warn({ subgraph: name, status: response.status }, 'subgraph failed');
      throw serviceUnavailable(
        `The ${name} service could not complete the request; try again in a moment.`,
      );
    }
    // A 4xx without a usable error means the gateway sent something the subgraph does not
    // understand (a stale supergraph, most likely): our fault, logged and hidden as internal.
    logger.error({ err: error, subgraph: name, status: response.status }, 'subgraph refused');
    throw new Error(`${name} subgraph answered HTTP ${response.status}`);
  }
}

/**
 * A non-2xx answer whose body is a GraphQL response with an error the subgraph raised on
 * purpose (UNAUTHENTICATED when a token expired between gateway and subgraph, say) is passed
 * on as that error, without the subgraph's URL and raw body that the default error carries.
 */
function intendedError(error: Error): GraphQLError | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const response = error.extensions.response as { body?: unknown } | undefined;
  const body = response?.body as {
    errors?: { message?: unknown; extensions?: { code?: unknown } }[];
  };
  const first = body?.errors?.[0];
  const code = first?.extensions?.code;
  if (typeof code !== 'string' || !PASS_THROUGH_CODES.has(code)) return undefined;
  return new GraphQLError(String(first?.message ?? code), { extensions: { code } });
}

/**
 * The deadline fetcher behind an opossum circuit breaker per subgraph: once enough calls fail
 * (unreachable or past the deadline), calls fail at once for `resetTimeout`, then one probe
 * goes through and a success closes the breaker. HTTP answers, even 5xx, count as successes:
 * the subgraph is up, and its own errors say what went wrong.
 */
function breakerFetcher(options: SubgraphDataSourceOptions): Fetcher {
  const breaker = new CircuitBreaker(deadlineFetcher(options.timeoutMs), {
    timeout: false, // the deadline fetcher aborts the request itself
    ...options.breaker,
  });
  const report = (state: string) => () => {
    edgeMetrics.breakerState.inc({ subgraph: options.name, state });
    options.logger.warn({ subgraph: options.name, state }, 'subgraph circuit breaker');
  };
  breaker.on('open', report('open'));
  breaker.on('halfOpen', report('halfOpen'));
  breaker.on('close', report('close'));
  return (url, init) => breaker.fire(url, init) as ReturnType<Fetcher>;
}

/**
 * Node's fetch (undici) with an abort deadline per subgraph request, cut shorter by the client
 * request's own deadline (REQUEST_TIMEOUT_MS) when that comes first.
 */
function deadlineFetcher(timeoutMs: number): Fetcher {
  return async (url, init) => {
    const response = await fetch(url, { ...init, signal: subgraphFetchSignal(timeoutMs) });
    // undici's Response has every member FetcherResponse names; the types only differ in
    // their iterator declarations.
    return response as unknown as FetcherResponse;
  };
}
