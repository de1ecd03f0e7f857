import {
  Kind,
  getOperationAST,
  print,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FormattedExecutionResult,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  GraphQLError,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { ErrorCode, type Viewer } from '@shop/shared';
import type { OrderEventsFeed } from './orderEventsFeed';

/** Runs a query through the supergraph as `viewer`, exactly as an HTTP request would. */
export type SupergraphExecutor = (
  query: string,
  variables: Record<string, unknown>,
  viewer: Viewer,
) => Promise<FormattedExecutionResult>;

const FIELD = 'orderStatusChanged';
const ORDER_ID_VARIABLE = '__orderId';

/**
 * The subscriber's selection on `orderStatusChanged` becomes a query on `order(id:)`, run
 * through the gateway's query planner for every event. That is how federated fields (each
 * item's product from the catalog) resolve exactly as they do in a query, and how the orders
 * subgraph's own owner check applies to subscriptions too.
 */
export function subscribeToOrderStatus(
  args: ExecutionArgs,
  deps: { feed: OrderEventsFeed; execute: SupergraphExecutor },
): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
  const viewer = (args.contextValue as { viewer?: Viewer } | undefined)?.viewer;
  const operation = getOperationAST(args.document, args.operationName);
  const field = operation?.selectionSet.selections[0];
  if (!viewer || !operation || field?.kind !== Kind.FIELD || field.name.value !== FIELD) {
    return Promise.resolve(
      errorResult(
        'Only `orderStatusChanged(orderId:)` is available as a subscription.',
        'BAD_USER_INPUT',
      ),
    );
  }
  const fieldDef = args.schema.getSubscriptionType()?.getFields()[FIELD];
  if (!fieldDef)
    return Promise.resolve(errorResult('Subscriptions are not available.', 'BAD_REQUEST'));
  const { orderId } = getArgumentValues(fieldDef, field, args.variableValues ?? {}) as {
    orderId: string;
  };
  const query = orderQuery(args.document, operation, field);
  const variables = { ...(args.variableValues ?? {}), [ORDER_ID_VARIABLE]: orderId };
  const responseKey = field.alias?.value ?? FIELD;

  const fetchOrder = async (status?: string): Promise<ExecutionResult> => {
    const result = await deps.execute(query, variables, viewer);
    const order = result.data?.order as Record<string, unknown> | null | undefined;
    if (!order) {
      return {
        errors: (result.errors ?? []).map(
          (e) => new GraphQLError(e.message, { extensions: e.extensions }),
        ),
        data: null,
      };
    }
    if (status) overlayStatus(order, field.selectionSet, args.document, status);
    return { data: { [responseKey]: order } };
  };

  return (async () => {
    // Subscribe-time check: the order must exist and be readable by this viewer (the orders
    // subgraph answers NOT_FOUND for someone else's order, and so do we).
    const initial = await fetchOrder();
    if (!initial.data) {
      return initial.errors?.length
        ? initial
        : errorResult(`There is no order ${orderId} of yours to follow.`, ErrorCode.NOT_FOUND);
    }
    return eventStream(deps.feed, orderId, viewer, fetchOrder);
  })();
}

/**
 * An async iterator over this order's changes. Events are handled one at a time, in the order
 * the feed delivers them, and only the owner's: an admin token can read any order, but a
 * subscription follows one's own.
 */
function eventStream(
  feed: OrderEventsFeed,
  orderId: string,
  viewer: Viewer,
  fetchOrder: (status: string) => Promise<ExecutionResult>,
): AsyncIterableIterator<ExecutionResult> {
  const pending: string[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const unlisten = feed.listen(orderId, (event) => {
    if (event.userId !== viewer.userId) return;
    pending.push(event.status);
    wake?.();
  });
  const finish = (): IteratorResult<ExecutionResult> => {
    done = true;
    unlisten();
    wake?.();
    return { done: true, value: undefined };
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      while (!done && pending.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (done) return { done: true, value: undefined };
      const status = pending.shift() as string;
      return { done: false, value: await fetchOrder(status) };
    },
    async return() {
      return finish();
    },
    async throw(err?: unknown) {
      finish();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** `query($__orderId: ID!, <variables the selection uses>) { order(id: $__orderId) { … } }` */
function orderQuery(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  field: FieldNode,
): string {
  const fragments = document.definitions.filter(
    (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
  );
  const used = new Set<string>();
  const collect = (node: SelectionSetNode | FragmentDefinitionNode) =>
    visit(node, { Variable: (v) => void used.add(v.name.value) });
  if (field.selectionSet) collect(field.selectionSet);
  fragments.forEach(collect);
  const query: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        name: { kind: Kind.NAME, value: 'OrderStatusChangedSelection' },
        variableDefinitions: [
          {
            kind: Kind.VARIABLE_DEFINITION,
            variable: {
              kind: Kind.VARIABLE,
              name: { kind: Kind.NAME, value: ORDER_ID_VARIABLE },
            },
            type: {
              kind: Kind.NON_NULL_TYPE,
              type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } },
            },
          },
          ...(operation.variableDefinitions ?? []).filter((v) => used.has(v.variable.name.value)),
        ],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              name: { kind: Kind.NAME, value: 'order' },
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: 'id' },
                  value: {
                    kind: Kind.VARIABLE,
                    name: { kind: Kind.NAME, value: ORDER_ID_VARIABLE },
                  },
                },
              ],
              selectionSet: field.selectionSet,
            },
          ],
        },
      },
      ...fragments,
    ],
  };
  return print(query);
}

/**
 * Two quick changes (PROCESSING then SHIPPED) can both be read after the second commits; the
 * event's own status is what this message is about, so it wins over the fresher read.
 */
function overlayStatus(
  order: Record<string, unknown>,
  selectionSet: SelectionSetNode | undefined,
  document: DocumentNode,
  status: string,
): void {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD && selection.name.value === 'status') {
      order[selection.alias?.value ?? 'status'] = status;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      overlayStatus(order, selection.selectionSet, document, status);
    } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = document.definitions.find(
        (d): d is FragmentDefinitionNode =>
          d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      overlayStatus(order, fragment?.selectionSet, document, status);
    }
  }
}

function errorResult(message: string, code: string): ExecutionResult {
  return { errors: [new GraphQLError(message, { extensions: { code } })] };
}
