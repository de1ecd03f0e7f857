import { existsSync, readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { findBreakingChanges, findDangerousChanges, type GraphQLSchema } from 'graphql';
import { composeFromConfig } from './compose';

/**
 * The three checks CI runs on the schema, as functions over paths and SDL so each failure can be
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

/**
 * The client-facing API schema of a supergraph: join/link machinery and @inaccessible elements
 * removed. Breaking changes are judged on this, because clients never see the rest.
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

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
): CheckResult {
  if (previousSupergraphSdl === undefined) {
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
  /** The supergraph at the base revision; undefined when there is none (first commit). */
  previousSupergraphSdl: string | undefined;
  previousLabel?: string;
}

/** (a) + (b) + (c) in order; a composition failure stops there, as nothing else can be judged. */
export function runSchemaCheck(input: SchemaCheckInput): CheckResult {
  const composed = composeFromConfig(input.configPath);
  if (!composed.ok) {
    return fail(['Composition failed:', ...composed.errors.map((e) => `  ${e}`)]);
  }
  const fresh = checkSupergraphFresh(input.supergraphPath, composed.supergraphSdl);
  const breaking = checkBreakingChanges(
    input.previousSupergraphSdl,
    composed.supergraphSdl,
    readAcknowledgements(input.acknowledgementsPath),
    input.previousLabel,
  );
  const notes = [...composed.hints.map((h) => `hint: ${h}`), ...fresh.notes, ...breaking.notes];
  const errors = [...fresh.errors, ...breaking.errors];
  return errors.length > 0 ? fail(errors, notes) : pass(notes);
}
