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
  print,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentSpreadNode,
  type InlineFragmentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode, type ResponsePath } from '@apollo/query-planner';
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
 * Like the Router, the estimate is the sum over the query plan's fetches ("the costs of the
 * sub-requests that it plans to send to your subgraphs"), scored against the supergraph, whose
 * fields carry the subgraphs' `@cost`/`@listSize`:
 * - a root fetch is scored like an operation by the rules above;
 * - an entity fetch (`_entities` under a Flatten node) costs (estimated representations) ×
 *   (1 for the entity object + its selection), the representations being the product of the
 *   list sizes along the Flatten path, read from the client's operation at those response
 *   keys with the same rules (`orders(first: 10) { edges { node { items` → 10 × default).
 * So an object split across subgraphs counts in the parent fetch (as its key) and again in
 * the `_entities` fetch. Condition nodes follow the request's variables; Defer nodes count
 * both parts.
 *
 * The plan is built with @apollo/query-planner, once per distinct operation (a bounded cache),
 * before any subgraph is called; the gateway's own planner and plan cache are private, so a
 * distinct operation is planned twice (here and in the gateway), a request never is.
 *
 * Hand-written: Apollo implements this only in the (Rust) Router; no JavaScript package scores
 * the federation cost directives.
 */
export class CostEstimator {
  private readonly schema: GraphQLSchema;
  private readonly supergraph: Supergraph;
  private readonly planner: QueryPlanner;
  private readonly plans: BoundedCache<PlanNode | undefined>;

  constructor(
    supergraphSdl: string,
    private readonly defaultListSize: number,
    planCacheSize = 500,
  ) {
    this.schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
    this.supergraph = Supergraph.build(supergraphSdl);
    // Each fetch node keeps its parsed operation, so scoring a cached plan parses nothing: by
    // default the planner gives only the operation's text, and scoring it parsed every fetch's
    // operation on every request (3% of a saturated gateway's CPU in bench:subscriptions).
    this.planner = new QueryPlanner(this.supergraph, { exposeDocumentNodeInFetchNode: true });
    this.plans = new BoundedCache(planCacheSize);
  }

  /**
   * The plan-level estimate. `source` (the request's text) keys the plan cache; without it
   * the printed document does.
   */
  estimate(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> = {},
    source?: string,
  ): number {
    const client = new Scorer(this.schema, document, variables, this.defaultListSize);
    const plan = this.plan(document, operation, source);
    if (!plan) return client.operation(operation);
    return new PlanScorer(client, operation, variables).node(plan);
  }

  private plan(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    source: string | undefined,
  ): PlanNode | undefined {
    const name = operation.name?.value;
    const key = `${name ?? ''}\n${source ?? print(document)}`;
    if (this.plans.has(key)) return this.plans.get(key);
    let node: PlanNode | undefined;
    try {
      const planned = this.planner.buildQueryPlan(
        operationFromDocument(this.supergraph.schema, document, {
          operationName: name,
          validate: false,
        }),
      );
      const root = planned.node;
      // A subscription's plan is its primary fetch followed by the rest of each event's plan.
      node =
        root?.kind === 'Subscription'
          ? { kind: 'Sequence', nodes: root.rest ? [root.primary, root.rest] : [root.primary] }
          : root;
    } catch {
      // The gateway will refuse what cannot be planned; score the operation as it stands.
      node = undefined;
    }
    this.plans.set(key, node);
    return node;
  }
}

/**
 * An LRU of bounded size: a Map iterates in insertion order, so re-inserting on a hit keeps
 * the oldest entry first. Hand-written because the lru-cache hoisted in node_modules is v5
 * without types, and ten lines do not justify a new dependency.
 */
class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    return this.entries.has(key);
  }
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    this.entries.delete(key);
    this.entries.set(key, value as V);
    return value;
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  return fragments;
}

/** Sums a plan's fetches for one request (its variables decide Condition nodes and sizes). */
class PlanScorer {
  constructor(
    private readonly client: Scorer,
    private readonly operation: OperationDefinitionNode,
    private readonly variables: Record<string, unknown>,
  ) {}

  node(node: PlanNode | undefined, path: ResponsePath = []): number {
    if (!node) return 0;
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        return node.nodes.reduce((sum, n) => sum + this.node(n, path), 0);
      case 'Flatten':
        return this.node(node.node, node.path);
      case 'Condition':
        return this.node(this.variables[node.condition] ? node.ifClause : node.elseClause, path);
      case 'Defer':
        return (
          this.node(node.primary.node, path) +
          node.deferred.reduce((sum, d) => sum + this.node(d.node, path), 0)
        );
      case 'Fetch': {
        const document = node.operationDocumentNode ?? parse(node.operation);
        const operation = document.definitions.find(
          (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
        );
        if (!operation) return 0;
        const fetch = this.client.forDocument(document);
        const entities = operation.selectionSet.selections.find(
          (s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === '_entities',
        );
        if (!entities?.selectionSet) return fetch.operation(operation);
        const perEntity = 1 + fetch.entities(entities.selectionSet);
        return this.client.pathSize(this.operation, path) * perEntity;
      }
    }
  }
}

class Scorer {
  private readonly fragments: Map<string, FragmentDefinitionNode>;

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Record<string, unknown>,
    private readonly defaultListSize: number,
  ) {
    this.fragments = fragmentsOf(document);
  }

  /** A scorer of another document (a fetch's operation) with the same request variables. */
  forDocument(document: DocumentNode): Scorer {
    return new Scorer(this.schema, document, this.variables, this.defaultListSize);
  }

  /** The operation-level figure: one fetch's, or an operation's that has no plan. */
  operation(operation: OperationDefinitionNode): number {
    const root = this.schema.getRootType(operation.operation);
    if (!root) return 0;
    return this.selectionSet(operation.selectionSet, root, operation.operation === 'mutation');
  }

  /** One entity's selection in an `_entities` fetch: inline fragments on the entity types. */
  entities(set: SelectionSetNode): number {
    const query = this.schema.getQueryType();
    return query ? this.selectionSet(set, query, false) : 0;
  }

  /**
   * How many objects a response path reaches: each list field on it multiplies by its size
   * (the same rules as a list's cost); `@` and indexes step into a list already counted, and a
   * `|[Type]` suffix (a type condition in plan paths) is not part of the response key.
   */
  pathSize(operation: OperationDefinitionNode, path: ResponsePath): number {
    const root = this.schema.getRootType(operation.operation);
    if (!root) return 1;
    let count = 1;
    let selections: SelectionSetNode | undefined = operation.selectionSet;
    let type: GraphQLCompositeType = root;
    let sized: { fields: string[]; size: number } | undefined;
    for (const segment of path) {
      if (typeof segment === 'number') continue;
      const key = segment.split('|')[0] ?? segment;
      if (key === '@' || !selections) continue;
      const found = this.fieldAt(selections, type, key);
      if (!found) break;
      const { node, parent: owner } = found;
      if (!('getFields' in owner)) break;
      const definition = owner.getFields()[node.name.value];
      if (!definition) break;
      const listSize = directiveArgs(definition.astNode?.directives, 'listSize');
      const size = this.listSize(node, definition, listSize) ?? this.defaultListSize;
      if (isList(definition.type)) {
        count *= sized?.fields.includes(node.name.value) ? sized.size : size;
      }
      const sizedFields = listSize?.sizedFields as string[] | undefined;
      sized = sizedFields ? { fields: sizedFields, size } : undefined;
      const next = getNamedType(definition.type);
      if (!isCompositeType(next)) break;
      type = next;
      selections = node.selectionSet;
    }
    return count;
  }

  /** The field selected at a response key, through fragments, with the type it is selected on. */
  private fieldAt(
    set: SelectionSetNode,
    parent: GraphQLCompositeType,
    key: string,
  ): { node: FieldNode; parent: GraphQLCompositeType } | undefined {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if ((selection.alias ?? selection.name).value === key) return { node: selection, parent };
        continue;
      }
      const fragment = this.fragment(selection, parent);
      const found = fragment && this.fieldAt(fragment.set, fragment.type, key);
      if (found) return found;
    }
    return undefined;
  }

  /** A fragment's (inline or spread) selections and the type they are selected on. */
  private fragment(
    selection: InlineFragmentNode | FragmentSpreadNode,
    parent: GraphQLCompositeType,
  ): { set: SelectionSetNode; type: GraphQLCompositeType } | undefined {
    const fragment =
      selection.kind === Kind.INLINE_FRAGMENT
        ? selection
        : this.fragments.get(selection.name.value);
    if (!fragment) return undefined;
    const condition = fragment.typeCondition
      ? this.schema.getType(fragment.typeCondition.name.value)
      : parent;
    const type = condition && isCompositeType(condition) ? condition : parent;
    return { set: fragment.selectionSet, type };
  }

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
        const fragment = this.fragment(selection, parent);
        if (fragment) cost += this.selectionSet(fragment.set, fragment.type, mutationRoot, sized);
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
  source?: string,
): number {
  const estimated = estimator.estimate(document, operation, variables, source);
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
