/**
 * One autocannon run against a GraphQL endpoint, and the summary of several: the load loop the
 * HTTP benchmarks (bench:gateway, bench:tracing) share. Every response is checked, so a run that
 * "got faster" by failing shows its failures.
 */
import autocannon from 'autocannon';

export interface Run {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Non-200 statuses, connection errors and timeouts. */
  non200: number;
  /** 200s whose body carries GraphQL errors. */
  graphqlErrors: number;
}

export interface LoadSpec {
  url: string;
  query: string;
  connections: number;
  seconds: number;
  /** Bearer tokens to pick one from at random per request; none for public queries. */
  tokens?: string[] | null;
}

export async function measure({
  url,
  query,
  connections,
  seconds,
  tokens,
}: LoadSpec): Promise<Run> {
  const body = JSON.stringify({ query });
  let non200 = 0;
  let graphqlErrors = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          headers: {
            'content-type': 'application/json',
            'apollo-require-preflight': 'true',
            ...(tokens?.length
              ? { authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}` }
              : {}),
          },
          body,
        }),
        onResponse: (status, responseBody) => {
          if (status !== 200) non200++;
          else if (responseBody.includes('"errors"')) graphqlErrors++;
        },
      },
    ],
  });
  // A target that answered nothing within the run (stalled, not refusing) counts as failing
  // on every connection: autocannon reports no error for requests still in flight at the end.
  if (result.requests.total === 0) non200 += connections;
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non200: non200 + result.errors + result.timeouts,
    graphqlErrors,
  };
}

/** Throughput over all runs; p50/p99 are the mean of the runs' own percentiles. */
export function summarise(runs: Run[]) {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const mean = (f: (r: Run) => number) => runs.reduce((n, r) => n + f(r), 0) / runs.length;
  return {
    rps: requests / seconds,
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    non200: runs.reduce((n, r) => n + r.non200, 0),
    graphqlErrors: runs.reduce((n, r) => n + r.graphqlErrors, 0),
    requests,
  };
}
