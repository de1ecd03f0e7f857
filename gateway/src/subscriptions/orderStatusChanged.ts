import {
  Kind,
  getOperationAST,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import type { WebSocket } from 'ws';
import type { Viewer } from '@shop/shared';
import { orderQuery } from './orderSelection';
import { errorResult, type SharedOrderReads } from './sharedOrderReads';
import { SubscriberStream, type SendBudget } from './subscriberStream';

/** Runs a query through the supergraph as `viewer`, exactly as an HTTP request would. */
export type SupergraphExecutor = (
  query: string,
  variables: Record<string, unknown>,
  viewer: Viewer,
) => Promise<FormattedExecutionResult>;

/** What subscriptionServer puts in each operation's context. */
export interface SubscriptionContext {
  viewer?: Viewer;
  socket?: WebSocket;
}

const FIELD = 'orderStatusChanged';

/**
 * `orderStatusChanged(orderId:, sinceVersion:)`: joins the read group of the subscriber's
 * selection (sharedOrderReads.ts), checks at once that the viewer may read the order, and
 * returns a stream of the order's states, newest version only ever moving forward. With
 * sinceVersion, an order already newer than it is sent straight away (resume after a
 * reconnect); without, the stream starts from the order as it is now.
 */
export async function subscribeToOrderStatus(
  args: ExecutionArgs,
  deps: { reads: SharedOrderReads; budget: SendBudget },
): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
  const context = (args.contextValue ?? {}) as SubscriptionContext;
  const viewer = context.viewer;
  const operation = getOperationAST(args.document, args.operationName);
  const field = operation?.selectionSet.selections[0];
  if (!viewer || !operation || field?.kind !== Kind.FIELD || field.name.value !== FIELD) {
    return errorResult(
      'Only `orderStatusChanged(orderId:)` is available as a subscription.',
      'BAD_USER_INPUT',
    );
  }
  const fieldDef = args.schema.getSubscriptionType()?.getFields()[FIELD];
  if (!fieldDef) return errorResult('Subscriptions are not available.', 'BAD_REQUEST');
  const variableValues = args.variableValues ?? {};
  const { orderId, sinceVersion } = getArgumentValues(fieldDef, field, variableValues) as {
    orderId: string;
    sinceVersion?: number | null;
  };
  const { query, variables } = orderQuery(args.document, operation, field, variableValues, orderId);

  const stream = new SubscriberStream(
    field.alias?.value ?? FIELD,
    sinceVersion ?? undefined,
    context.socket,
    deps.budget,
  );
  // Join before reading: a change committed from here on reaches the stream either through
  // this read or through the event that follows it.
  const { group, leave } = deps.reads.join({ orderId, query, variables, viewer }, stream);
  stream.whenEnded(leave);
  const current = await deps.reads.current(group);
  if (!('version' in current)) {
    // Not found, not the viewer's, or unreadable: the subscription ends with this error.
    void stream.return();
    return current;
  }
  if (sinceVersion === undefined || sinceVersion === null) stream.baseline(current.version);
  else stream.deliver(current);
  deps.reads.listening(stream);
  return stream;
}
