/**
 * `npm run schema:compose`: composes the subgraphs listed in supergraph.yaml, writes the
 * committed supergraph.graphql that the gateway serves, and regenerates the API reference
 * (docs/api.md) from it. Exits 1, printing every problem, when composition fails; the old files
 * are then left untouched.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { API_REFERENCE_PATH, renderApiReference } from '../gateway/src/supergraph/apiReference';
import { composeFromConfig } from '../gateway/src/supergraph/compose';

const root = path.resolve(__dirname, '..');
const configPath = path.join(root, 'supergraph.yaml');
const outputPath = path.join(root, 'supergraph.graphql');

const outcome = composeFromConfig(configPath);
if (!outcome.ok) {
  console.error('Composition failed:');
  for (const e of outcome.errors) console.error(`  ${e}`);
  process.exit(1);
}
for (const hint of outcome.hints) console.log(`hint: ${hint}`);
writeFileSync(outputPath, outcome.supergraphSdl);
writeFileSync(path.join(root, API_REFERENCE_PATH), renderApiReference(outcome.supergraphSdl));
console.log(`Wrote ${path.relative(root, outputPath)} and ${API_REFERENCE_PATH}.`);
