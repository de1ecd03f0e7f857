import { Histogram, register } from 'prom-client';
import { DURATION_BUCKETS } from '@shop/shared';

/**
 * Each fetch the query plan makes to a subgraph. `outcome`: ok, graphql_error (the subgraph
 * answered with errors) or transport_error (unreachable, timed out, 5xx).
 */
export const subgraphFetchDuration =
  (register.getSingleMetric('graphql_subgraph_fetch_duration_seconds') as Histogram | undefined) ??
  new Histogram({
    name: 'graphql_subgraph_fetch_duration_seconds',
    help: 'Gateway fetches to subgraphs, by subgraph and outcome',
    labelNames: ['subgraph', 'outcome'],
    buckets: DURATION_BUCKETS,
  });
