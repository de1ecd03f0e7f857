/**
 * `npm run persisted:manifest`, first step: the example operations of README.md, one file each
 * in gateway/operations/readme/, where Apollo's manifest tool (the next step) reads them. The
 * README is the source; gateway/src/edge/persistedQueryManifest.test.ts fails when these files
 * or the manifest no longer match it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readmeOperationFile, readmeOperations } from '../gateway/src/edge/readmeOperations';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'gateway', 'operations', 'readme');

const operations = readmeOperations(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
mkdirSync(OUT, { recursive: true });
for (const file of readdirSync(OUT)) {
  if (file.endsWith('.graphql')) rmSync(path.join(OUT, file));
}
for (const op of operations) {
  const { name, text } = readmeOperationFile(op);
  writeFileSync(path.join(OUT, name), text);
}
console.log(
  `README.md: ${operations.length} operations (${operations.map((o) => o.name).join(', ')}) written to gateway/operations/readme/`,
);
