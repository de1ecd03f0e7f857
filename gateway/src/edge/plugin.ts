import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { GatewayContext } from '../auth';
import { checkCost, type CostEstimator } from './demandControl';
import { edgeMetrics } from './metrics';
import { checkOperationLimits, type OperationLimits } from './operationLimits';
import { budgetKey, type RateLimiter } from './rateLimit';

export interface EdgeChecks {
  limits: OperationLimits;
  estimator: CostEstimator;
  costMax: number;
  /** Undefined when RATE_LIMIT_ENABLED=false. */
  rateLimiter?: RateLimiter;
}

/** The estimate of each request, kept from didResolveOperation to willSendResponse. */
const estimates = new WeakMap<object, number>();

/**
 * The edge's checks in the order docs/architecture.md gives (limits, cost, rate limit), in one hook so each runs
 * only if the one before passed: Apollo Server runs the didResolveOperation hooks of separate
 * plugins concurrently, which would charge a rate budget for an operation already refused.
 * didResolveOperation runs after validation and before the gateway plans or calls anything.
 */
export function edgePlugin(checks: EdgeChecks): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ source, document, operation, request, contextValue }) {
          if (!operation) return;
          try {
            const limitError = checkOperationLimits(checks.limits, source, document, operation);
            if (limitError) throw limitError;
            const cost = checkCost(
              checks.estimator,
              checks.costMax,
              document,
              operation,
              request.variables ?? {},
              source,
            );
            estimates.set(contextValue, cost);
            if (checks.rateLimiter && contextValue.clientIp !== undefined) {
              await checks.rateLimiter.charge(
                budgetKey(contextValue.viewer, contextValue.clientIp),
                cost,
                isCheckout(operation),
              );
            }
          } catch (err) {
            const code = (err as { extensions?: { code?: unknown } }).extensions?.code;
            edgeMetrics.refused.inc({ code: typeof code === 'string' ? code : 'unknown' });
            throw err;
          }
        },
        async willSendResponse({ response, contextValue }) {
          const estimated = estimates.get(contextValue);
          // Operations the gateway runs itself (subscription payloads) are sent as they were.
          if (contextValue.clientIp === undefined) return;
          if (estimated === undefined || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: { estimated, max: checks.costMax } };
        },
      };
    },
  };
}

function isCheckout(operation: OperationDefinitionNode): boolean {
  return (
    operation.operation === 'mutation' &&
    operation.selectionSet.selections.some(
      (s) => s.kind === Kind.FIELD && s.name.value === 'checkout',
    )
  );
}
