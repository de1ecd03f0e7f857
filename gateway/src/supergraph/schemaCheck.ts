import { existsSync, readFileSync } from 'node:fs';
import { findBreakingChanges, findDangerousChanges, type GraphQLSchema } from 'graphql';
import { apiSchemaOf, renderApiReference } from './apiReference';
import { composeFromConfig } from './compose';

export { apiSchemaOf } from './apiReference';

/**
 * The checks CI runs on the schema, as functions over paths and SDL so each failure can be
 * proven by a test; `scripts/schema-check.ts` only gathers inputs (git, files) and prints.
 */
export interface CheckResult {
  ok: boolean;
  /** What failed, each line actionable. */
  errors: string[];
  /** Worth reading, never failing: composition hints, dangerous changes, skipped steps. */
  notes: string[];
}

const pass = (notes: string[] = []): CheckResult => ({ ok: true, errors: [], notes });
const fail = (errors: string[], notes: string[] = []): CheckResult => ({
  ok: false,
  errors,
  notes,
});

/** (b) The committed supergraph.graphql must be exactly what composing now produces. */
export function checkSupergraphFresh(
  committedPath: string,
  freshSupergraphSdl: string,
): CheckResult {
  if (!existsSync(committedPath)) {
    return fail([`${committedPath} does not exist; run \`npm run schema:compose\` and commit it.`]);
  }
  const committed = readFileSync(committedPath, 'utf8');
  if (committed === freshSupergraphSdl) return pass();
  return fail([
    `${committedPath} is stale: it differs from a fresh composition of the subgraph schemas. ` +
      'Run `npm run schema:compose` and commit the result.',
  ]);
}

/** (b') The committed API reference must be what the fresh supergraph renders to. */
export function checkApiReferenceFresh(
  committedPath: string,
  freshSupergraphSdl: string,
): CheckResult {
  const regenerate = 'Run `npm run schema:compose` (it regenerates the reference) and commit it.';
  if (!existsSync(committedPath)) return fail([`${committedPath} does not exist. ${regenerate}`]);
  if (readFileSync(committedPath, 'utf8') === renderApiReference(freshSupergraphSdl)) return pass();
  return fail([
    `${committedPath} is stale: it differs from the reference generated from the subgraph ` +
      `schemas' descriptions. ${regenerate}`,
  ]);
}

/** One breaking change as a line: what the acknowledgement file must contain, verbatim. */
export function describeChange(change: { type: string; description: string }): string {
  return `${change.type}: ${change.description}`;
}

/**
 * Acknowledgements live in a committed text file, one change per line exactly as the check
 * prints it (`FIELD_REMOVED: Query.x was removed.`); `#` starts a comment. A file in the diff is
 * reviewed like code, which an environment variable set in a CI UI would not be.
 */
export function readAcknowledgements(ackPath: string): Set<string> {
  if (!existsSync(ackPath)) return new Set();
  return new Set(
    readFileSync(ackPath, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !line.startsWith('#')),
  );
}

/**
 * (c) Compares the API schemas of the previous and the new supergraph with graphql-js. Every
 * breaking change must be acknowledged; dangerous changes (e.g. a new enum value a client's
 * exhaustive switch may not handle) are reported as notes.
 */
export function checkBreakingChanges(
  previousSupergraphSdl: string | undefined,
  currentSupergraphSdl: string,
  acknowledged: ReadonlySet<string>,
  previousLabel = 'the previous supergraph',
  requireBaseline = false,
): CheckResult {
  if (previousSupergraphSdl === undefined) {
    if (requireBaseline) {
      return fail([
        `No ${previousLabel} to compare with, and CI must not skip the breaking-change check. ` +
          'Check out full history with tags (`git fetch --unshallow --tags`), or set ' +
          'SCHEMA_CHECK_BASE_REF to the revision clients use (docs/schema-checks.md).',
      ]);
    }
    return pass([`No ${previousLabel} to compare with; breaking-change check skipped.`]);
  }
  let before: GraphQLSchema;
  try {
    before = apiSchemaOf(previousSupergraphSdl);
  } catch (err) {
    // History cannot be fixed by a new commit, so an unreadable old file must not block CI forever.
    return pass([
      `${previousLabel} could not be read as a supergraph (${(err as Error).message}); ` +
        'breaking-change check skipped.',
    ]);
  }
  const after = apiSchemaOf(currentSupergraphSdl);
  const breaking = findBreakingChanges(before, after).map(describeChange);
  const notes = findDangerousChanges(before, after).map((c) => `dangerous: ${describeChange(c)}`);
  const acknowledgedNow = breaking.filter((line) => acknowledged.has(line));
  notes.push(...acknowledgedNow.map((line) => `acknowledged breaking change: ${line}`));
  const unacknowledged = breaking.filter((line) => !acknowledged.has(line));
  if (unacknowledged.length === 0) return pass(notes);
  return fail(
    [
      `Breaking change(s) to the client API since ${previousLabel}:`,
      ...unacknowledged.map((line) => `  ${line}`),
      'Clients may depend on these. Prefer an additive change (add the new field, deprecate the ' +
        'old one). If the break is intended, add each line above, verbatim, to ' +
        'schema/breaking-changes-acknowledged.txt in the same commit, so reviewers see it.',
    ],
    notes,
  );
}

export interface SchemaCheckInput {
  configPath: string;
  supergraphPath: string;
  acknowledgementsPath: string;
  /** The committed generated API reference (docs/api.md); unchecked when omitted. */
  apiReferencePath?: string;
  /** The supergraph at the base revision; undefined when there is none (first commit). */
  previousSupergraphSdl: string | undefined;
  previousLabel?: string;
  /** Fail instead of skipping when there is no previous supergraph (CI). */
  requireBaseline?: boolean;
}

/** (a) + (b) + (b') + (c) in order; a composition failure stops there, as nothing else can be judged. */
export function runSchemaCheck(input: SchemaCheckInput): CheckResult {
  const composed = composeFromConfig(input.configPath);
  if (!composed.ok) {
    return fail(['Composition failed:', ...composed.errors.map((e) => `  ${e}`)]);
  }
  const fresh = checkSupergraphFresh(input.supergraphPath, composed.supergraphSdl);
  const reference = input.apiReferencePath
    ? checkApiReferenceFresh(input.apiReferencePath, composed.supergraphSdl)
    : pass();
  const breaking = checkBreakingChanges(
    input.previousSupergraphSdl,
    composed.supergraphSdl,
    readAcknowledgements(input.acknowledgementsPath),
    input.previousLabel,
    input.requireBaseline,
  );
  const notes = [...composed.hints.map((h) => `hint: ${h}`), ...fresh.notes, ...breaking.notes];
  const errors = [...fresh.errors, ...reference.errors, ...breaking.errors];
  return errors.length > 0 ? fail(errors, notes) : pass(notes);
}
