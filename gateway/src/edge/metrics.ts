import { Counter, Histogram, register } from 'prom-client';

/**
 * prom-client keeps one default registry per process, and tests start several gateways in one
 * process: reuse a metric once it exists instead of registering it twice (which throws).
 */
function once<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

export const edgeMetrics = {
  estimatedCost: once(
    'gateway_operation_estimated_cost',
    () =>
      new Histogram({
        name: 'gateway_operation_estimated_cost',
        help: 'Estimated cost (demand control) of each operation, refused ones included.',
        buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000],
      }),
  ),
  refused: once(
    'gateway_operations_refused_total',
    () =>
      new Counter({
        name: 'gateway_operations_refused_total',
        help: 'Operations the edge refused before any subgraph call, by error code.',
        labelNames: ['code'],
      }),
  ),
  timedOut: once(
    'gateway_request_timeouts_total',
    () =>
      new Counter({
        name: 'gateway_request_timeouts_total',
        help: 'Operations stopped by the overall request deadline (REQUEST_TIMEOUT_MS).',
      }),
  ),
  rateLimiterUnavailable: once(
    'gateway_rate_limiter_unavailable_total',
    () =>
      new Counter({
        name: 'gateway_rate_limiter_unavailable_total',
        help: 'Requests served without a rate-limit check because Redis did not answer (fail open).',
      }),
  ),
  apqCacheUnavailable: once(
    'gateway_apq_cache_unavailable_total',
    () =>
      new Counter({
        name: 'gateway_apq_cache_unavailable_total',
        help: 'Persisted query cache lookups or stores skipped because Redis did not answer (fail open).',
      }),
  ),
  breakerState: once(
    'gateway_subgraph_breaker_transitions_total',
    () =>
      new Counter({
        name: 'gateway_subgraph_breaker_transitions_total',
        help: 'Circuit breaker state changes per subgraph (open, halfOpen, close).',
        labelNames: ['subgraph', 'state'],
      }),
  ),
};
