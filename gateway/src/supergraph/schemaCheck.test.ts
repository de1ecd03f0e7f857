import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeFromConfig, composerVersion } from './compose';
import { runSchemaCheck, type CheckResult } from './schemaCheck';

/** The exact pin supergraph.yaml must carry: the composer this repo installs. */
const INSTALLED = `=${composerVersion}`;

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@inaccessible"])\n';
const PRODUCT_SDL = `${LINK}
type Query { products: [Product!]!  product(id: ID!): Product }
type Product @key(fields: "id") { id: ID!  name: String!  secret: String @inaccessible }`;
const CART_SDL = `${LINK}
type Query { cart: Cart! }
type Cart { items: [Product!]! }
type Product @key(fields: "id", resolvable: false) { id: ID! }`;

/** A throwaway repo layout: supergraph.yaml, subgraphs/<name>/schema.graphql, schema/. */
class Workspace {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'schema-check-'));
  readonly config = path.join(this.dir, 'supergraph.yaml');
  readonly supergraph = path.join(this.dir, 'supergraph.graphql');
  readonly acks = path.join(this.dir, 'schema', 'breaking-changes-acknowledged.txt');

  constructor(subgraphs: Record<string, string | null>, federationVersion = INSTALLED) {
    const lines = [`federation_version: ${federationVersion}`, 'subgraphs:'];
    for (const [name, sdl] of Object.entries(subgraphs)) {
      lines.push(
        `  ${name}:`,
        `    routing_url: http://127.0.0.1:4001/graphql`,
        `    schema:`,
        `      file: ./subgraphs/${name}/schema.graphql`,
      );
      if (sdl !== null) this.writeSubgraph(name, sdl);
    }
    writeFileSync(this.config, `${lines.join('\n')}\n`);
  }

  writeSubgraph(name: string, sdl: string): void {
    mkdirSync(path.join(this.dir, 'subgraphs', name), { recursive: true });
    writeFileSync(path.join(this.dir, 'subgraphs', name, 'schema.graphql'), sdl);
  }

  /** What `npm run schema:compose` does: compose and write the committed file. */
  compose(): string {
    const outcome = composeFromConfig(this.config);
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    writeFileSync(this.supergraph, outcome.supergraphSdl);
    return outcome.supergraphSdl;
  }

  acknowledge(...lines: string[]): void {
    mkdirSync(path.dirname(this.acks), { recursive: true });
    writeFileSync(this.acks, `# why: tested\n${lines.join('\n')}\n`);
  }

  check(previousSupergraphSdl: string | undefined): CheckResult {
    return runSchemaCheck({
      configPath: this.config,
      supergraphPath: this.supergraph,
      acknowledgementsPath: this.acks,
      previousSupergraphSdl,
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('schema check', () => {
  const workspaces: Workspace[] = [];
  const workspace = (...args: ConstructorParameters<typeof Workspace>) => {
    const ws = new Workspace(...args);
    workspaces.push(ws);
    return ws;
  };
  afterAll(() => workspaces.forEach((ws) => ws.remove()));

  it('passes when the subgraphs compose, the committed file is fresh and nothing broke', () => {
    const ws = workspace({ product: PRODUCT_SDL, cart: CART_SDL });
    const previous = ws.compose();
    expect(ws.check(previous)).toEqual({ ok: true, errors: [], notes: [] });
  });

  it('fails on a composition error and names the code, the files and the positions', () => {
    const ws = workspace({
      product: PRODUCT_SDL,
      cart: `${LINK}type Query { cart: String }\ntype Product @key(fields: "id") { id: ID! name: Int! }`,
    });
    const result = ws.check(undefined);
    expect(result.ok).toBe(false);
    expect(result.errors[0]).toBe('Composition failed:');
    const text = result.errors.join('\n');
    expect(text).toContain('FIELD_TYPE_MISMATCH');
    // Each position names the file it is in: one in product's schema, one in cart's.
    const mismatch = result.errors.find((e) => e.includes('FIELD_TYPE_MISMATCH')) ?? '';
    const positions = /\(at (.*)\)$/.exec(mismatch)?.[1]?.split(', ') ?? [];
    expect(positions.sort()).toEqual([
      'subgraphs/cart/schema.graphql:3:43', // `name: Int!`
      'subgraphs/product/schema.graphql:4:44', // `name: String!`
    ]);
  });

  it('fails on a syntax error in one subgraph and names that subgraph', () => {
    const ws = workspace({ product: PRODUCT_SDL, cart: 'type Query { cart: ' });
    const result = ws.check(undefined);
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toContain('[cart] Syntax Error');
  });

  it('fails naming a schema file that supergraph.yaml lists but does not exist', () => {
    const ws = workspace({ product: PRODUCT_SDL, orders: null });
    const result = ws.check(undefined);
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toContain(
      'Subgraph "orders": schema file subgraphs/orders/schema.graphql does not exist',
    );
  });

  it('fails when supergraph.yaml pins a federation version other than the installed composer', () => {
    const ws = workspace({ product: PRODUCT_SDL }, '=2.3.0');
    const result = ws.check(undefined);
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toContain('pins federation_version =2.3.0');
  });

  it('fails when the committed supergraph.graphql is stale, and passes once recomposed', () => {
    const ws = workspace({ product: PRODUCT_SDL });
    const previous = ws.compose();
    ws.writeSubgraph('product', `${PRODUCT_SDL}\nextend type Query { featured: [Product!]! }`);
    const stale = ws.check(previous);
    expect(stale.ok).toBe(false);
    expect(stale.errors.join('\n')).toMatch(/supergraph\.graphql is stale/);
    ws.compose();
    expect(ws.check(previous).ok).toBe(true);
  });

  it('fails when the committed supergraph.graphql is missing', () => {
    const ws = workspace({ product: PRODUCT_SDL });
    const result = ws.check(undefined);
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toContain('does not exist; run `npm run schema:compose`');
  });

  it('fails on an unacknowledged breaking change to the client API and prints the line to acknowledge', () => {
    const ws = workspace({ product: PRODUCT_SDL, cart: CART_SDL });
    const previous = ws.compose();
    ws.writeSubgraph('product', PRODUCT_SDL.replace('  product(id: ID!): Product', ''));
    ws.compose();
    const result = ws.check(previous);
    expect(result.ok).toBe(false);
    expect(result.errors).toContain('  FIELD_REMOVED: Query.product was removed.');
  });

  it('passes a breaking change that is acknowledged verbatim, and says so', () => {
    const ws = workspace({ product: PRODUCT_SDL, cart: CART_SDL });
    const previous = ws.compose();
    ws.writeSubgraph('product', PRODUCT_SDL.replace('  product(id: ID!): Product', ''));
    ws.compose();
    ws.acknowledge('FIELD_REMOVED: Query.product was removed.');
    const result = ws.check(previous);
    expect(result).toMatchObject({ ok: true, errors: [] });
    expect(result.notes).toContain(
      'acknowledged breaking change: FIELD_REMOVED: Query.product was removed.',
    );
  });

  it('still fails when only some of several breaking changes are acknowledged', () => {
    const ws = workspace({ product: PRODUCT_SDL, cart: CART_SDL });
    const previous = ws.compose();
    ws.writeSubgraph(
      'product',
      PRODUCT_SDL.replace('name: String!', 'name: Int!').replace('  product(id: ID!): Product', ''),
    );
    ws.compose();
    ws.acknowledge('FIELD_REMOVED: Query.product was removed.');
    const result = ws.check(previous);
    expect(result.ok).toBe(false);
    expect(result.errors).toContain(
      '  FIELD_CHANGED_KIND: Product.name changed type from String! to Int!.',
    );
    expect(result.errors).not.toContain('  FIELD_REMOVED: Query.product was removed.');
  });

  it('does not count a commented-out line as an acknowledgement', () => {
    const ws = workspace({ product: PRODUCT_SDL, cart: CART_SDL });
    const previous = ws.compose();
    ws.writeSubgraph('product', PRODUCT_SDL.replace('  product(id: ID!): Product', ''));
    ws.compose();
    ws.acknowledge('# FIELD_REMOVED: Query.product was removed.');
    expect(ws.check(previous).ok).toBe(false);
  });

  it('judges only the client API: removing an @inaccessible field or moving a subgraph URL is not breaking', () => {
    const ws = workspace({ product: PRODUCT_SDL });
    const previous = ws.compose();
    ws.writeSubgraph('product', PRODUCT_SDL.replace('secret: String @inaccessible', ''));
    writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace(':4001/', ':4999/'));
    const current = ws.compose();
    expect(current).not.toContain('secret');
    expect(current).toContain('http://127.0.0.1:4999/graphql');
    expect(ws.check(previous)).toMatchObject({ ok: true, errors: [] });
  });

  it('skips the breaking-change comparison, with a note, when there is no previous supergraph', () => {
    const ws = workspace({ product: PRODUCT_SDL });
    ws.compose();
    const result = ws.check(undefined);
    expect(result.ok).toBe(true);
    expect(result.notes.join('\n')).toContain('breaking-change check skipped');
  });
});
