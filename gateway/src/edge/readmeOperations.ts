import {
  Kind,
  parse,
  print,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';

/** One operation a README shows, as one document (with the fragments it spreads). */
export interface ReadmeOperation {
  name: string;
  type: OperationDefinitionNode['operation'];
  /** The operation as the README writes it, printed (formatting and comments do not matter). */
  document: string;
  /** The README line its block starts on, for messages. */
  line: number;
}

/**
 * The operations of a README's examples, so the persisted query manifest can be made from what
 * the README shows and a test can hold the manifest to it: every ```graphql block (one or more
 * operations, `#` comments allowed), and in ```ts blocks every template literal marked with the
 * GraphQL magic comment, the mark Apollo's manifest tool plucks from code. Throws, naming the
 * line, on an example that does not parse, an anonymous operation (the manifest tool refuses
 * those, and a safelist names what it lists) or a name used twice.
 */
export function readmeOperations(markdown: string): ReadmeOperation[] {
  const operations: ReadmeOperation[] = [];
  const fence = /^```(\w*)[^\n]*\n([\s\S]*?)^```/gm;
  for (const block of markdown.matchAll(fence)) {
    const [, language, body = ''] = block;
    const line = markdown.slice(0, block.index).split('\n').length;
    const sources =
      language === 'graphql'
        ? [body]
        : language === 'ts'
          ? [...body.matchAll(/\/\*\s*GraphQL\s*\*\/\s*`([^`]*)`/g)].map((m) => m[1] ?? '')
          : [];
    for (const source of sources) operations.push(...operationsOf(source, line));
  }
  const seen = new Map<string, number>();
  for (const op of operations) {
    const first = seen.get(op.name);
    if (first !== undefined) {
      throw new Error(
        `README line ${op.line}: operation name ${op.name} is already used on line ${first}`,
      );
    }
    seen.set(op.name, op.line);
  }
  return operations;
}

function operationsOf(source: string, line: number): ReadmeOperation[] {
  let document: DocumentNode;
  try {
    document = parse(source, { noLocation: true });
  } catch (err) {
    throw new Error(`README line ${line}: the example does not parse: ${(err as Error).message}`);
  }
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  return document.definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((op) => {
      if (!op.name) {
        throw new Error(
          `README line ${line}: name every example ${op.operation} (e.g. \`${op.operation} Catalog { … }\`): the persisted query manifest only lists named operations`,
        );
      }
      const used: DefinitionNode[] = [...usedFragments(op, fragments)];
      return {
        name: op.name.value,
        type: op.operation,
        document: print({ kind: Kind.DOCUMENT, definitions: [op, ...used] }),
        line,
      };
    });
}

/** The fragments `node` spreads, directly or through other fragments, each once. */
function usedFragments(
  node: OperationDefinitionNode | FragmentDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  found = new Map<string, FragmentDefinitionNode>(),
): FragmentDefinitionNode[] {
  visit(node, {
    FragmentSpread(spread) {
      const fragment = fragments.get(spread.name.value);
      if (!fragment || found.has(fragment.name.value)) return;
      found.set(fragment.name.value, fragment);
      usedFragments(fragment, fragments, found);
    },
  });
  return [...found.values()];
}

/** The file gateway/operations/readme holds for one README operation (the tool's input). */
export function readmeOperationFile(op: ReadmeOperation): { name: string; text: string } {
  return {
    name: `${op.name}.graphql`,
    text: `# Generated from README.md by \`npm run persisted:manifest\`: edit the README, not this.\n${op.document}\n`,
  };
}
