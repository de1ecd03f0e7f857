import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderApiReference } from './apiReference';
import { gitIn, resolveBaseRevision } from './baseRevision';
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

  readonly apiReference = path.join(this.dir, 'docs', 'api.md');

  check(
    previousSupergraphSdl: string | undefined,
    extra: { apiReference?: boolean; requireBaseline?: boolean } = {},
  ): CheckResult {
    return runSchemaCheck({
      configPath: this.config,
      supergraphPath: this.supergraph,
      acknowledgementsPath: this.acks,
      previousSupergraphSdl,
      apiReferencePath: extra.apiReference ? this.apiReference : undefined,
      requireBaseline: extra.requireBaseline,
    });
  }

  /** What `npm run schema:compose` also does: regenerate docs/api.md. */
  writeApiReference(): void {
    mkdirSync(path.dirname(this.apiReference), { recursive: true });
    writeFileSync(this.apiReference, renderApiReference(readFileSync(this.supergraph, 'utf8')));
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

  it('fails, instead of skipping, when there is no previous supergraph and a baseline is required (CI)', () => {
    const ws = workspace({ product: PRODUCT_SDL });
    ws.compose();
    const result = ws.check(undefined, { requireBaseline: true });
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toContain('CI must not skip the breaking-change check');
  });

  it('generates the API reference from the descriptions of the client API only', () => {
    const ws = workspace({
      product: PRODUCT_SDL.replace('type Product', '"A thing the shop sells."\ntype Product'),
    });
    const reference = renderApiReference(ws.compose());
    expect(reference).toContain('A thing the shop sells.');
    expect(reference).toContain('## Query');
    expect(reference).not.toMatch(/join__|link__|secret/);
  });

  it('fails when the committed API reference is stale or missing, naming the command that regenerates it', () => {
    const ws = workspace({ product: PRODUCT_SDL });
    const previous = ws.compose();
    expect(ws.check(previous, { apiReference: true }).errors.join('\n')).toContain(
      'does not exist. Run `npm run schema:compose`',
    );
    ws.writeApiReference();
    expect(ws.check(previous, { apiReference: true })).toMatchObject({ ok: true, errors: [] });
    ws.writeSubgraph(
      'product',
      PRODUCT_SDL.replace('name: String!', '"Shown to shoppers."\nname: String!'),
    );
    ws.compose();
    const stale = ws.check(previous, { apiReference: true });
    expect(stale.ok).toBe(false);
    expect(stale.errors.join('\n')).toMatch(/api\.md is stale.*npm run schema:compose/);
  });
});

/** A real git repository per test: the base revision is a question about history. */
describe('base revision of the breaking-change check', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function repo(): {
    dir: string;
    git: (...args: string[]) => string;
    commit: (msg: string) => string;
  } {
    const dir = mkdtempSync(path.join(tmpdir(), 'base-rev-'));
    dirs.push(dir);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    git('init', '-q', '-b', 'main');
    const commit = (msg: string) => {
      git('commit', '-q', '--allow-empty', '-m', msg);
      return git('rev-parse', 'HEAD');
    };
    return { dir, git, commit };
  }

  it('uses the merge base with the newest v* tag (by version order), not HEAD~1', () => {
    const { dir, git, commit } = repo();
    const first = commit('one');
    git('tag', 'v0.9.0');
    const released = commit('two');
    git('tag', 'v0.10.0');
    commit('three');
    commit('four');
    expect(resolveBaseRevision(gitIn(dir))).toEqual({
      found: true,
      sha: released,
      label: 'the merge base with release tag v0.10.0',
    });
    expect(first).not.toBe(released);
  });

  it("uses the merge base with the branch's upstream when there is no tag", () => {
    const { dir, commit } = repo();
    const fork = commit('one');
    commit('two on main');
    const clone = mkdtempSync(path.join(tmpdir(), 'base-rev-clone-'));
    dirs.push(clone);
    execFileSync('git', ['clone', '-q', '--branch', 'main', dir, clone]);
    const g = gitIn(clone);
    execFileSync('git', ['checkout', '-q', '-b', 'feature', '--track', 'origin/main'], {
      cwd: clone,
    });
    execFileSync('git', ['reset', '-q', '--hard', fork], { cwd: clone });
    execFileSync(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'f'],
      { cwd: clone },
    );
    expect(resolveBaseRevision(g)).toMatchObject({
      found: true,
      sha: fork,
      label: 'the merge base with the upstream branch',
    });
  });

  it('compares with HEAD~1 on a fresh clone of main (HEAD is its own upstream), as CI runs', () => {
    const { dir, commit } = repo();
    const parent = commit('one');
    commit('two');
    const clone = mkdtempSync(path.join(tmpdir(), 'base-rev-clone-'));
    dirs.push(clone);
    execFileSync('git', ['clone', '-q', dir, clone]);
    expect(resolveBaseRevision(gitIn(clone))).toMatchObject({ found: true, sha: parent });
  });

  it('honours SCHEMA_CHECK_BASE_REF and reports a ref it cannot find', () => {
    const { dir, git, commit } = repo();
    const base = commit('one');
    git('branch', 'target');
    commit('two');
    expect(resolveBaseRevision(gitIn(dir), 'target')).toMatchObject({ found: true, sha: base });
    expect(resolveBaseRevision(gitIn(dir), 'nope')).toMatchObject({ found: false });
  });

  it('finds no base on a first commit, or in a shallow clone, and says why', () => {
    const { dir, commit } = repo();
    commit('one');
    expect(resolveBaseRevision(gitIn(dir))).toEqual({
      found: false,
      reason: 'HEAD is the first commit and no release tag or upstream branch is behind it',
    });
    commit('two');
    const shallow = mkdtempSync(path.join(tmpdir(), 'base-rev-shallow-'));
    dirs.push(shallow);
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${dir}`, shallow]);
    expect(resolveBaseRevision(gitIn(shallow))).toMatchObject({
      found: false,
      reason: expect.stringContaining('shallow'),
    });
  });
});
