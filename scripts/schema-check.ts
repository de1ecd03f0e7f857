/**
 * `npm run schema:check` (CI runs it): (a) the subgraphs compose, (b) the committed
 * supergraph.graphql is what they compose to, (c) the client API has no unacknowledged breaking
 * change since the base revision (SCHEMA_CHECK_BASE_REF, default HEAD~1: on main that is the
 * previous commit; a pull-request job sets it to the target branch, e.g. origin/main).
 * With `rover` on PATH, `rover supergraph compose` must succeed too.
 * The checks themselves live in gateway/src/supergraph/schemaCheck.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { runSchemaCheck } from '../gateway/src/supergraph/schemaCheck';

const root = path.resolve(__dirname, '..');
const baseRef = process.env.SCHEMA_CHECK_BASE_REF || 'HEAD~1';

function supergraphAt(ref: string): string | undefined {
  try {
    return execFileSync('git', ['show', `${ref}:supergraph.graphql`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined; // no such revision (first commit, shallow clone) or no file there yet
  }
}

/** rover is optional (it installs by downloading a binary); when present it must agree. */
function roverErrors(): string[] {
  const probe = spawnSync('rover', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    console.log('note: rover is not on PATH; composed with @apollo/composition only.');
    return [];
  }
  const run = spawnSync(
    'rover',
    ['supergraph', 'compose', '--config', 'supergraph.yaml', '--elv2-license', 'accept'],
    { cwd: root, encoding: 'utf8' },
  );
  return run.status === 0 ? [] : ['rover supergraph compose failed:', run.stderr.trim()];
}

const result = runSchemaCheck({
  configPath: path.join(root, 'supergraph.yaml'),
  supergraphPath: path.join(root, 'supergraph.graphql'),
  acknowledgementsPath: path.join(root, 'schema', 'breaking-changes-acknowledged.txt'),
  previousSupergraphSdl: supergraphAt(baseRef),
  previousLabel: `supergraph.graphql at ${baseRef}`,
});
const errors = [...result.errors, ...roverErrors()];
for (const note of result.notes) console.log(`note: ${note}`);
for (const error of errors) console.error(error);
if (errors.length > 0) {
  console.error('schema check failed');
  process.exit(1);
}
console.log('schema check passed');
