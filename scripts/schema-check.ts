/**
 * `npm run schema:check` (CI runs it; docs/schema-checks.md says what runs where and why):
 * (a) the subgraphs compose, (b) the committed supergraph.graphql is what they compose to,
 * (b') the committed API reference docs/api.md is what that supergraph renders to, (c) the
 * client API has no unacknowledged breaking change since the merge base with the last released
 * state (see gateway/src/supergraph/baseRevision.ts), and (d) `rover supergraph compose`
 * produces the committed supergraph where rover's composition plugin is installed.
 * With CI=true a missing baseline fails (c) instead of skipping it, and SCHEMA_CHECK_ROVER=require
 * makes a missing rover plugin fail (d).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { API_REFERENCE_PATH } from '../gateway/src/supergraph/apiReference';
import { gitIn, resolveBaseRevision } from '../gateway/src/supergraph/baseRevision';
import { roverCompose } from '../gateway/src/supergraph/roverCompose';
import { runSchemaCheck } from '../gateway/src/supergraph/schemaCheck';

const root = path.resolve(__dirname, '..');
const inCi = process.env.CI === 'true' || process.env.CI === '1';

function supergraphAt(sha: string): string | undefined {
  try {
    return execFileSync('git', ['show', `${sha}:supergraph.graphql`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined; // the file did not exist yet at that revision
  }
}

const base = resolveBaseRevision(gitIn(root), process.env.SCHEMA_CHECK_BASE_REF || undefined);
const previous = base.found ? supergraphAt(base.sha) : undefined;
const supergraphPath = path.join(root, 'supergraph.graphql');
const result = runSchemaCheck({
  configPath: path.join(root, 'supergraph.yaml'),
  supergraphPath,
  apiReferencePath: path.join(root, API_REFERENCE_PATH),
  acknowledgementsPath: path.join(root, 'schema', 'breaking-changes-acknowledged.txt'),
  previousSupergraphSdl: previous,
  previousLabel: base.found
    ? `supergraph.graphql at ${base.label} (${base.sha.slice(0, 12)})`
    : `base revision (${base.reason})`,
  // A base revision without supergraph.graphql is history from before the file existed.
  requireBaseline: inCi && !base.found,
});
const errors = [...result.errors];
const notes = [...result.notes];
if (base.found)
  notes.push(`breaking changes judged against ${base.label} (${base.sha.slice(0, 12)})`);
if (result.ok) {
  const rover = roverCompose(root, readFileSync(supergraphPath, 'utf8'));
  if (rover.status === 'matches') notes.push(`${rover.version}: rover supergraph compose matches`);
  if (rover.status === 'failed') errors.push(...rover.errors);
  if (rover.status === 'skipped') {
    const line = `rover supergraph compose not run: ${rover.reason} (composition checked with @apollo/composition; docs/schema-checks.md)`;
    if (process.env.SCHEMA_CHECK_ROVER === 'require') errors.push(line);
    else notes.push(line);
  }
}
for (const note of notes) console.log(`note: ${note}`);
for (const error of errors) console.error(error);
if (errors.length > 0) {
  console.error('schema check failed');
  process.exit(1);
}
console.log('schema check passed');
