import {
  buildASTSchema,
  getNamedType,
  GraphQLError,
  isCompositeType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { EdgeErrorCode } from '@shop/shared';
import { edgeMetrics } from './metrics';

/**
 * Demand control as Apollo Router's static estimate scores it (its "Demand control" docs):
 * an object, interface or union costs 1, a scalar or enum 0, a mutation's root field 10, an
 * input-object argument 1; `@cost(weight:)` on a field or type replaces that; a list multiplies
 * its items by `@listSize(assumedSize:)`, else the slicing argument's value (or its default),
 * else the configured default list size; `sizedFields` move that size onto the named child
 * fields (a connection's `edges`).
 *
 * The estimate is computed on the operation against the supergraph, whose fields carry the
 * subgraphs' `@cost`/`@listSize`. What the planner adds to fetches (entity keys, `__typename`)
 * is scalars, which cost 0, and no field here uses `@requires`; but an object split across
 * subgraphs is counted once, where the Router's per-fetch sum may count it in the parent fetch
 * and in the `_entities` fetch, so this is a lower bound of the plan-level figure. The gateway
 * has no plan hook that runs before execution without planning twice (issue #9 keeps it open).
 *
 * Hand-written: Apollo implements this only in the (Rust) Router; no JavaScript package scores
 * the federation cost directives.
 */
export class CostEstimator {
  private readonly schema: GraphQLSchema;

  constructor(
    supergraphSdl: string,
    private readonly defaultListSize: number,
  ) {
    this.schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  }

  estimate(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> = {},
  ): number {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) {
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    }
    const root = this.schema.getRootType(operation.operation);
    if (!root) return 0;
    const scorer = new Scorer(this.schema, fragments, variables, this.defaultListSize);
    return scorer.selectionSet(operation.selectionSet, root, operation.operation === 'mutation');
  }
}

class Scorer {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly defaultListSize: number,
  ) {}

  selectionSet(
    set: SelectionSetNode,
    parent: GraphQLCompositeType,
    mutationRoot: boolean,
    sized?: { fields: string[]; size: number },
  ): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const size = sized?.fields.includes(selection.name.value) ? sized.size : undefined;
        cost += this.field(selection, parent, mutationRoot, size);
      } else {
        const fragment =
          selection.kind === Kind.INLINE_FRAGMENT
            ? selection
            : this.fragments.get(selection.name.value);
        if (!fragment) continue;
        const condition = fragment.typeCondition
          ? this.schema.getType(fragment.typeCondition.name.value)
          : parent;
        const type = condition && isCompositeType(condition) ? condition : parent;
        cost += this.selectionSet(fragment.selectionSet, type, mutationRoot, sized);
      }
    }
    return cost;
  }

  private field(
    node: FieldNode,
    parent: GraphQLCompositeType,
    mutationRoot: boolean,
    sizedByParent: number | undefined,
  ): number {
    if (!('getFields' in parent)) return 0; // a union: only __typename is selectable on it
    const definition = parent.getFields()[node.name.value];
    if (!definition) return 0; // __typename and introspection
    const type = getNamedType(definition.type);
    const listSize = directiveArgs(definition.astNode?.directives, 'listSize');

    let own =
      weight(definition.astNode?.directives) ??
      weight(type.astNode?.directives) ??
      (mutationRoot ? 10 : isCompositeType(type) ? 1 : 0);
    own += this.argumentsCost(node, definition);

    const size = this.listSize(node, definition, listSize) ?? this.defaultListSize;
    const sizedFields = listSize?.sizedFields as string[] | undefined;
    let children = 0;
    if (node.selectionSet && isCompositeType(type)) {
      children = this.selectionSet(
        node.selectionSet,
        type,
        false,
        sizedFields ? { fields: sizedFields, size } : undefined,
      );
    }
    const multiplier = isList(definition.type) ? (sizedByParent ?? size) : 1;
    return multiplier * (own + children);
  }

  /** `assumedSize`, else the first slicing argument given (or defaulted), else undefined. */
  private listSize(
    node: FieldNode,
    definition: GraphQLField<unknown, unknown>,
    listSize: Record<string, unknown> | undefined,
  ): number | undefined {
    if (!listSize) return undefined;
    if (typeof listSize.assumedSize === 'number') return listSize.assumedSize;
    for (const name of (listSize.slicingArguments as string[] | undefined) ?? []) {
      const given = node.arguments?.find((a) => a.name.value === name);
      const value = given
        ? valueFromASTUntyped(given.value, this.variables)
        : definition.args.find((a) => a.name === name)?.defaultValue;
      if (typeof value === 'number') return value;
    }
    return undefined;
  }

  private argumentsCost(node: FieldNode, definition: GraphQLField<unknown, unknown>): number {
    let cost = 0;
    for (const argument of node.arguments ?? []) {
      const arg = definition.args.find((a) => a.name === argument.name.value);
      if (!arg) continue;
      cost +=
        weight(arg.astNode?.directives) ?? (isInputObjectType(getNamedType(arg.type)) ? 1 : 0);
    }
    return cost;
  }
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function directiveArgs(
  directives: readonly ConstDirectiveNode[] | undefined,
  name: string,
): Record<string, unknown> | undefined {
  const directive = directives?.find((d) => d.name.value === name);
  if (!directive) return undefined;
  return Object.fromEntries(
    (directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]),
  );
}

function weight(directives: readonly ConstDirectiveNode[] | undefined): number | undefined {
  const w = directiveArgs(directives, 'cost')?.weight;
  return typeof w === 'number' ? w : undefined;
}

/**
 * Scores the operation, refuses it above `max` with the Router's code and flat extension keys,
 * and records the estimate in the `gateway_operation_estimated_cost` histogram.
 */
export function checkCost(
  estimator: CostEstimator,
  max: number,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const estimated = estimator.estimate(document, operation, variables);
  edgeMetrics.estimatedCost.observe(estimated);
  if (estimated > max) {
    throw new GraphQLError(
      `The operation's estimated cost is ${estimated}; the limit (COST_MAX) is ${max}. Ask for fewer items (smaller \`first\`) or fewer fields.`,
      {
        extensions: {
          code: EdgeErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
          'cost.estimated': estimated,
          'cost.max': max,
          http: { status: 400 },
        },
      },
    );
  }
  return estimated;
}
