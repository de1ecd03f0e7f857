import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** The configured ceilings; each is checked for every operation. */
export interface OperationLimits {
  /** Deepest field nesting, fragments inlined (Router `max_depth`). */
  maxDepth: number;
  /** Nested selection sets of any kind: fields, inline fragments and fragment spreads. */
  maxNesting: number;
  /** Aliased fields, fragments inlined (Router `max_aliases`). */
  maxAliases: number;
  /** Fields at the root, fragments inlined (Router `max_root_fields`). */
  maxRootFields: number;
  /** Lexical tokens in the document (Router `parser_max_tokens`). */
  maxTokens: number;
  /** Directive uses in the operation and the fragments it uses. */
  maxDirectives: number;
}

/** What an operation measures, each the way the matching limit counts it. */
export interface OperationMeasure {
  depth: number;
  nesting: number;
  aliases: number;
  rootFields: number;
  directives: number;
}

/**
 * Measures an operation with every fragment it uses inlined, so spreading a fragment is no way
 * around a limit. Validation has already refused fragment cycles, so the walk ends.
 *
 * Hand-written: graphql-armor's plugins raise their own codes (GRAPHQL_VALIDATION_FAILED) and
 * do not count root fields; clients written for Apollo Router expect the Router's codes.
 */
export function measureOperation(
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
): OperationMeasure {
  const measure: OperationMeasure = {
    depth: 0,
    nesting: 0,
    aliases: 0,
    rootFields: 0,
    directives: operation.directives?.length ?? 0,
  };
  const walk = (set: SelectionSetNode, depth: number, nesting: number, root: boolean) => {
    measure.nesting = Math.max(measure.nesting, nesting);
    for (const selection of set.selections) {
      measure.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        measure.depth = Math.max(measure.depth, depth + 1);
        if (selection.alias) measure.aliases += 1;
        if (root) measure.rootFields += 1;
        if (selection.selectionSet) walk(selection.selectionSet, depth + 1, nesting + 1, false);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, depth, nesting + 1, root);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) continue;
        measure.directives += fragment.directives?.length ?? 0;
        walk(fragment.selectionSet, depth, nesting + 1, root);
      }
    }
  };
  walk(operation.selectionSet, 0, 1, true);
  return measure;
}

/** Lexical tokens in `source`, stopping once past `limit` (the count is then limit + 1). */
export function countTokens(source: string, limit: number): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) {
    count += 1;
    if (count > limit) break;
  }
  return count;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  return fragments;
}

function refuse(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

/** The first limit `source`/`operation` breaks, as the error to answer with; undefined if none. */
export function checkOperationLimits(
  limits: OperationLimits,
  source: string,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): GraphQLError | undefined {
  const tokens = countTokens(source, limits.maxTokens);
  if (tokens > limits.maxTokens) {
    return refuse(
      'MAX_TOKENS_LIMIT',
      `The operation has more than ${limits.maxTokens} tokens, the limit (GATEWAY_MAX_TOKENS).`,
    );
  }
  const m = measureOperation(operation, fragmentsOf(document));
  const checks: [number, number, string, string, string][] = [
    [m.depth, limits.maxDepth, 'MAX_DEPTH_LIMIT', 'is nested', 'GATEWAY_MAX_DEPTH'],
    [
      m.nesting,
      limits.maxNesting,
      'MAX_DEPTH_LIMIT',
      'nests selection sets (fields and fragments)',
      'GATEWAY_MAX_NESTING',
    ],
    [m.aliases, limits.maxAliases, 'MAX_ALIASES_LIMIT', 'uses aliases', 'GATEWAY_MAX_ALIASES'],
    [
      m.rootFields,
      limits.maxRootFields,
      'MAX_ROOT_FIELDS_LIMIT',
      'selects root fields',
      'GATEWAY_MAX_ROOT_FIELDS',
    ],
    [
      m.directives,
      limits.maxDirectives,
      'MAX_DIRECTIVES_LIMIT',
      'uses directives',
      'GATEWAY_MAX_DIRECTIVES',
    ],
  ];
  for (const [found, max, code, what, variable] of checks) {
    if (found > max) {
      const unit = code === 'MAX_DEPTH_LIMIT' ? ' levels deep' : ' times';
      return refuse(
        code,
        `The operation ${what} ${found}${unit}; the limit (${variable}) is ${max}.`,
      );
    }
  }
  return undefined;
}
