/**
 * `npm run schema:compose`: composes the subgraphs listed in supergraph.yaml and writes the
 * committed supergraph.graphql that the gateway serves. Exits 1, printing every problem, when
 * composition fails; the old file is then left untouched.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
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
console.log(`Wrote ${path.relative(root, outputPath)}.`);
