import {
  Kind,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

const ORDER_ID_VARIABLE = '__orderId';
/** The version to read the order as of (`order(id:, version:)`); null for its current state. */
export const ORDER_VERSION_VARIABLE = '__orderVersion';
/** Alias under which every read also fetches the order's version, whatever the client selected. */
export const VERSION_KEY = '__version';

const name = (value: string) => ({ kind: Kind.NAME, value }) as const;

/**
 * The subscriber's selection on `orderStatusChanged` as a query on `order(id:)`:
 * `query($__orderId: ID!, $__orderVersion: Int, <variables the selection uses>)
 * { order(id: $__orderId, version: $__orderVersion) { __version: version … } }`: the order as
 * of one version (each change is read as that change left it), or as it is now (null). It runs through the gateway's query planner, so federated fields resolve as
 * in a query and the orders subgraph's owner check applies. Returns the query text and the
 * variables it needs (only those it uses, so two subscribers who differ in an unused variable
 * still share a read).
 */
export function orderQuery(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  field: FieldNode,
  variableValues: Record<string, unknown>,
  orderId: string,
): { query: string; variables: Record<string, unknown> } {
  const fragments = document.definitions.filter(
    (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
  );
  const used = new Set<string>();
  const collect = (node: SelectionSetNode | FragmentDefinitionNode) =>
    visit(node, { Variable: (v) => void used.add(v.name.value) });
  if (field.selectionSet) collect(field.selectionSet);
  fragments.forEach(collect);
  const selections = field.selectionSet?.selections ?? [];
  const query: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        name: name('OrderStatusChangedSelection'),
        variableDefinitions: [
          {
            kind: Kind.VARIABLE_DEFINITION,
            variable: { kind: Kind.VARIABLE, name: name(ORDER_ID_VARIABLE) },
            type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: name('ID') } },
          },
          {
            kind: Kind.VARIABLE_DEFINITION,
            variable: { kind: Kind.VARIABLE, name: name(ORDER_VERSION_VARIABLE) },
            type: { kind: Kind.NAMED_TYPE, name: name('Int') },
          },
          ...(operation.variableDefinitions ?? []).filter((v) => used.has(v.variable.name.value)),
        ],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              name: name('order'),
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: name('id'),
                  value: { kind: Kind.VARIABLE, name: name(ORDER_ID_VARIABLE) },
                },
                {
                  kind: Kind.ARGUMENT,
                  name: name('version'),
                  value: { kind: Kind.VARIABLE, name: name(ORDER_VERSION_VARIABLE) },
                },
              ],
              selectionSet: {
                kind: Kind.SELECTION_SET,
                selections: [
                  { kind: Kind.FIELD, alias: name(VERSION_KEY), name: name('version') },
                  ...selections,
                ],
              },
            },
          ],
        },
      },
      ...fragments,
    ],
  };
  const variables: Record<string, unknown> = { [ORDER_ID_VARIABLE]: orderId };
  for (const key of [...used].sort()) variables[key] = variableValues[key];
  return { query: print(query), variables };
}
