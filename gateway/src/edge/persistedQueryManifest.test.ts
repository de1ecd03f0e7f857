import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Supergraph } from '@apollo/federation-internals';
import { parse, validate } from 'graphql';
import { Safelist } from './safelist';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const COMMITTED = path.join(ROOT, 'gateway', 'persisted-query-manifest.json');

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
});
