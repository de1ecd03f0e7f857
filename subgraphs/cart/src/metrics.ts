/**
 * The cart's Prometheus metrics, served at /metrics. Registered once per process (tests and the
 * benchmark start several cart services in one process, which share prom-client's registry).
 */
import { Counter, register } from 'prom-client';

function counter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames });
}

/** hit / miss (read MongoDB) / bypass (Redis unusable or the key awaits repair). */
export const cacheLookups = counter(
  'cart_cache_lookups_total',
  'Cart reads by cache outcome: hit, miss (read from MongoDB), bypass (Redis unusable or key awaiting repair)',
  ['result'],
);

/** fill = a reader caching what it read; store = a writer caching the version it wrote. */
export const cacheWrites = counter(
  'cart_cache_writes_total',
  'Cart cache writes by kind (fill, store, tombstone) and result (ok, stale = refused as older, error)',
  ['kind', 'result'],
);

export const catalogLookups = counter(
  'cart_catalog_lookups_total',
  'GetProducts calls to the product catalog by result (ok, unavailable, error)',
  ['result'],
);

/** The sum of a counter's values matching `labels`; for tests and the benchmark. */
export async function counterValue(
  metric: Counter<string>,
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}
