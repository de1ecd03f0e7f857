import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { Histogram, register } from 'prom-client';
import { DURATION_BUCKETS, type Logger } from '@shop/shared';

/** Names a client chose end up as label values: long or odd ones are cut to keep them bounded. */
const MAX_OPERATION_NAME = 64;

/** `outcome` = "ok", or the first error's extensions.code (what the client was told). */
export const operationDuration =
  (register.getSingleMetric('graphql_operation_duration_seconds') as Histogram | undefined) ??
  new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operations at the gateway, from request to response, by name, type and outcome',
    labelNames: ['operation_name', 'operation_type', 'outcome'],
    buckets: DURATION_BUCKETS,
  });

export function operationNameLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  return name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_OPERATION_NAME);
}

interface ResponseSummary {
  outcome: string;
  cost?: unknown;
}

function summarize(ctx: GraphQLRequestContextWillSendResponse<object>): ResponseSummary {
  const body = ctx.response.body;
  if (body.kind !== 'single') return { outcome: 'ok' };
  const code = body.singleResult.errors?.[0]?.extensions?.code;
  const outcome = body.singleResult.errors?.length
    ? typeof code === 'string'
      ? code
      : 'INTERNAL_SERVER_ERROR'
    : 'ok';
  // The edge's cost analysis, when it ran, reports the cost in the response extensions.
  const cost = body.singleResult.extensions?.cost;
  return cost === undefined ? { outcome } : { outcome, cost };
}

/**
 * Per operation: one duration observation (the histogram's _count is the request count and,
 * with outcome != "ok", the error count by code) and one access log line. The line is written
 * inside the request, so it carries trace_id, span_id, request_id and user_id (logger.ts).
 */
export function operationObservabilityPlugin(logger: Logger): ApolloServerPlugin<object> {
  const log = logger.child({ component: 'access' });
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(ctx) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const { outcome, cost } = summarize(ctx);
          const name = operationNameLabel(ctx.operationName);
          const type = ctx.operation?.operation ?? 'unknown';
          operationDuration.observe(
            { operation_name: name, operation_type: type, outcome },
            seconds,
          );
          log.info(
            {
              operation: { name, type },
              duration_ms: Math.round(seconds * 1000 * 10) / 10,
              outcome,
              ...(cost === undefined ? {} : { cost }),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
