/**
 * The checked-in Grafana dashboard stays true to the code: it parses, every panel's PromQL names
 * only metrics some module registers, and every datasource it uses is provisioned.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { register } from 'prom-client';
// Every module that registers a metric the dashboard charts (registering is a side effect of
// importing them, as in the services).
import '@shop/shared';
import '../../gateway/src/observability/operationPlugin';
import '../../gateway/src/observability/subgraphFetchMetrics';
import '../../gateway/src/observability/websocketMetrics';
import '../../subgraphs/cart/src/metrics';
import '../../subgraphs/checkout/src/metrics';

const GRAFANA = path.join(__dirname, '../../observability/grafana');

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
}

const dashboard = JSON.parse(readFileSync(path.join(GRAFANA, 'dashboards/shop.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
};

/** PromQL functions and aggregations the dashboard uses; anything else with `_` is a metric. */
const PROMQL_WORDS = new Set(['histogram_quantile', 'rate', 'sum', 'max', 'by']);

/** The metric names in a PromQL expression (label matchers, groupings and ranges removed). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\bby\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((word) => word.includes('_') && !PROMQL_WORDS.has(word));
}

async function registeredSeries(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await register.getMetricsAsJSON()) {
    names.add(metric.name);
    // prom-client's MetricType enum exists only in its type declarations, not at run time.
    if (String(metric.type) === 'histogram') {
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
    }
  }
  return names;
}

describe('the Grafana dashboard', () => {
  test('has the panels an operator asked for', () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase());
    for (const wanted of [
      'request rate',
      'p50',
      'p95',
      'p99',
      'error rate by code',
      'checkout outcomes',
      'consumer lag',
      'outbox lag',
      'cache hit rate',
    ]) {
      expect({ wanted, found: titles.some((t) => t.includes(wanted)) }).toEqual({
        wanted,
        found: true,
      });
    }
  });

  test('every PromQL expression names metrics the code registers', async () => {
    const known = await registeredSeries();
    const unknown = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((t) =>
        metricNames(t.expr)
          .filter((name) => !known.has(name))
          .map((name) => `${panel.title}: ${name}`),
      ),
    );
    expect(unknown).toEqual([]);
    expect(dashboard.panels.every((p) => (p.targets ?? []).length > 0)).toBe(true);
  });

  test('every datasource uid it uses is provisioned', () => {
    const provisioned = new Set(
      [
        ...readFileSync(
          path.join(GRAFANA, 'provisioning/datasources/datasources.yml'),
          'utf8',
        ).matchAll(/^\s*uid:\s*(\S+)/gm),
      ].map((m) => m[1]),
    );
    const used = new Set(
      dashboard.panels.flatMap((p) => [
        p.datasource?.uid,
        ...(p.targets ?? []).map((t) => t.datasource?.uid),
      ]),
    );
    used.delete(undefined);
    expect([...used].filter((uid) => !provisioned.has(uid as string))).toEqual([]);
    expect(provisioned.has('jaeger')).toBe(true);
  });

  test('metricNames finds metrics and ignores labels, functions and ranges', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, rpc_service) (rate(rpc_client_duration_seconds_bucket{outcome!="ok"}[$__rate_interval])))',
      ),
    ).toEqual(['rpc_client_duration_seconds_bucket']);
  });
});
