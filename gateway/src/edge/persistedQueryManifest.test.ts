import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Supergraph } from '@apollo/federation-internals';
import { Kind, parse, print, validate, visit, type OperationDefinitionNode } from 'graphql';
import * as e2eOperations from '../../../test/e2e/operations';
import { readmeOperationFile, readmeOperations } from './readmeOperations';
import { Safelist } from './safelist';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const COMMITTED = path.join(ROOT, 'gateway', 'persisted-query-manifest.json');
const README_OPERATIONS = path.join(ROOT, 'gateway', 'operations', 'readme');

interface ManifestOperation {
  id: string;
  name: string;
  type: string;
  body: string;
}
const committed = () =>
  (JSON.parse(readFileSync(COMMITTED, 'utf8')) as { operations: ManifestOperation[] }).operations;

/**
 * A document as the gateway's safelist compares it: printed, without the `__typename`
 * selections Apollo Client (and so the manifest tool) adds, operations before fragments.
 */
function shape(text: string): string {
  const document = visit(parse(text, { noLocation: true }), {
    Field: (node) => (node.name.value === '__typename' && !node.alias ? null : undefined),
  });
  const definitions = [...document.definitions].sort(
    (a, b) =>
      Number(a.kind === Kind.FRAGMENT_DEFINITION) - Number(b.kind === Kind.FRAGMENT_DEFINITION) ||
      ('name' in a ? (a.name?.value ?? '') : '').localeCompare(
        'name' in b ? (b.name?.value ?? '') : '',
      ),
  );
  return print({ ...document, definitions });
}

/** The one operation of a document, as the manifest names and types it. */
function operationOf(text: string): OperationDefinitionNode | undefined {
  return parse(text).definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
}

/** Asserts the manifest lists `text` under its own name and type, and the safelist admits it. */
function expectListed(manifest: ManifestOperation[], safelist: Safelist, text: string): void {
  const op = operationOf(text);
  const name = op?.name?.value;
  const listed = manifest.find((o) => o.name === name);
  expect([name, listed?.type]).toEqual([name, op?.operation]);
  expect([name, listed && shape(listed.body)]).toEqual([name, shape(text)]);
  expect([name, safelist.allows(text)]).toEqual([name, true]);
}

/**
 * The committed manifest is what safelist mode runs, so like `schema:check` for the supergraph
 * it must be what the manifest tool makes of gateway/operations today, and every operation in
 * it must be valid against the client API.
 */
describe('gateway/persisted-query-manifest.json', () => {
  it('is what `npm run persisted:manifest` generates from gateway/operations', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pq-manifest-'));
    try {
      const config = JSON.parse(
        readFileSync(path.join(ROOT, 'persisted-query-manifest.config.json'), 'utf8'),
      ) as Record<string, unknown>;
      const output = path.join(dir, 'manifest.json');
      const configFile = path.join(dir, 'persisted-query-manifest.config.json');
      writeFileSync(configFile, JSON.stringify({ ...config, output }));
      execFileSync(
        path.join(ROOT, 'node_modules', '.bin', 'generate-persisted-query-manifest'),
        ['--config', configFile],
        { cwd: ROOT, stdio: 'pipe' },
      );
      const fresh: unknown = JSON.parse(readFileSync(output, 'utf8'));
      const upToDate = isDeepStrictEqual(JSON.parse(readFileSync(COMMITTED, 'utf8')), fresh);
      expect(
        upToDate
          ? 'up to date'
          : 'stale: run `npm run persisted:manifest` and commit gateway/persisted-query-manifest.json',
      ).toBe('up to date');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('holds only operations valid against the supergraph, each allowed by its own id', () => {
    const schema = Supergraph.build(readFileSync(path.join(ROOT, 'supergraph.graphql'), 'utf8'))
      .apiSchema()
      .toGraphQLJSSchema();
    const manifest = JSON.parse(readFileSync(COMMITTED, 'utf8')) as {
      operations: { id: string; name: string; body: string }[];
    };
    expect(manifest.operations.length).toBeGreaterThan(10);
    const safelist = Safelist.fromFile(COMMITTED);
    for (const op of manifest.operations) {
      expect([op.name, validate(schema, parse(op.body)).map((e) => e.message)]).toEqual([
        op.name,
        [],
      ]);
      expect(safelist.bodyOf(op.id)).toBe(op.body);
      expect(safelist.allows(op.body.replace(/\s+__typename/g, ''))).toBe(true);
    }
    expect(safelist.allows('{ products(first: 100) { totalCount } }')).toBe(false);
  });

  describe("README.md's examples", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const operations = readmeOperations(readme);

    it('are all named and all found', () => {
      // Every ```graphql block holds at least one operation (an anonymous one throws above).
      const blocks = readme.match(/^```graphql$/gm) ?? [];
      expect(blocks.length).toBeGreaterThanOrEqual(5);
      expect(new Set(operations.map((o) => o.line)).size).toBeGreaterThanOrEqual(blocks.length);
      expect(operations.map((o) => o.name)).toEqual(
        expect.arrayContaining(['Catalog', 'AddToCart', 'Checkout', 'MyOrders', 'FollowOrder']),
      );
    });

    it('are each in the committed manifest, as the README writes them', () => {
      const manifest = committed();
      const safelist = Safelist.fromFile(COMMITTED);
      for (const op of operations) expectListed(manifest, safelist, op.document);
      // What the examples looked like before they were named is not listed.
      expect(safelist.allows(operations[0]!.document.replace(/^query Catalog/, 'query'))).toBe(
        false,
      );
    });

    it('are what gateway/operations/readme holds (`npm run persisted:manifest` writes it)', () => {
      const files = readdirSync(README_OPERATIONS).filter((f) => f.endsWith('.graphql'));
      expect(files.sort()).toEqual(operations.map((op) => readmeOperationFile(op).name).sort());
      for (const op of operations) {
        const file = readFileSync(path.join(README_OPERATIONS, `${op.name}.graphql`), 'utf8');
        expect([op.name, print(parse(file))]).toEqual([op.name, op.document]);
      }
    });
  });

  it('lists every operation the e2e client sends, as it sends it (test/e2e/operations.ts)', () => {
    const manifest = committed();
    const safelist = Safelist.fromFile(COMMITTED);
    const sent = Object.values(e2eOperations).filter((text) => operationOf(text));
    expect(sent.length).toBeGreaterThanOrEqual(15);
    for (const text of sent) expectListed(manifest, safelist, text);
    // And nothing listed under an e2e name comes from anywhere else.
    const names = sent.map((text) => operationOf(text)?.name?.value);
    expect(manifest.filter((o) => o.name.startsWith('E2E')).map((o) => o.name)).toEqual(
      expect.arrayContaining(names),
    );
    expect(manifest.filter((o) => o.name.startsWith('E2E'))).toHaveLength(names.length);
  });
});
