import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * `supergraph.yaml` in rover's config format is the one list of subgraphs: the compose script,
 * the schema check and (when installed) `rover supergraph compose` all read it, so a subgraph
 * cannot be composed by one tool and forgotten by another.
 */
export interface SubgraphEntry {
  /** The name composition, the query planner and the gateway's URL overrides all use. */
  name: string;
  routingUrl: string;
  /** Absolute path of the subgraph's schema.graphql. */
  schemaFile: string;
}

export interface SupergraphConfig {
  /** As written, e.g. "=2.14.4" (exact pin) or "2" (any 2.x). */
  federationVersion: string;
  subgraphs: SubgraphEntry[];
}

export class SupergraphConfigError extends Error {
  override name = 'SupergraphConfigError';
}

const subgraphShape = z.object({
  routing_url: z.string().url(),
  schema: z.object(
    { file: z.string().min(1) },
    {
      message: 'only `schema: { file: … }` is supported (no introspection or graph refs)',
    },
  ),
});

const configShape = z.object({
  federation_version: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(/^=?2(\.\d+){0,2}$/, 'expected a Federation 2 version such as =2.14.4')),
  subgraphs: z
    .record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'subgraph names are lowercase'), subgraphShape)
    .refine((s) => Object.keys(s).length > 0, 'list at least one subgraph'),
});

/** Reads and validates the config; schema file paths are resolved against the YAML's folder. */
export function readSupergraphConfig(configPath: string): SupergraphConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new SupergraphConfigError(
      `Cannot read ${configPath}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const result = configShape.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`);
    throw new SupergraphConfigError(
      `${configPath} is not a valid supergraph config:\n${problems.join('\n')}`,
    );
  }
  const base = path.dirname(path.resolve(configPath));
  return {
    federationVersion: result.data.federation_version,
    subgraphs: Object.entries(result.data.subgraphs).map(([name, s]) => ({
      name,
      routingUrl: s.routing_url,
      schemaFile: path.resolve(base, s.schema.file),
    })),
  };
}
