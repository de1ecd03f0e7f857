import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { Kind, parse, print, visit, type DefinitionNode } from 'graphql';
import { createKafka } from '@shop/shared';
import { infra } from '@shop/shared/src/testing';
import { roverBinary } from '../../gateway/src/supergraph/roverCompose';
import { startPlatform, type Platform, type SubgraphName } from './platform';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** What federation adds to every served subgraph schema (not written in schema.graphql). */
const FEDERATION_ADDED = /^(_|federation__|link__)/;

/**
 * One SDL in a form where only meaning counts: comments, layout, description quoting and the
 * order of top-level definitions go, and what @apollo/subgraph adds when serving (the schema
 * definition, directive definitions, _Any/_Entity/_Service, federation__/link__ scalars, Query's
 * _service and _entities) is left out. Hand-written because no graphql-js or Apollo printer
 * strips exactly that set from an introspected subgraph.
 */
function normalized(sdl: string): string {
  const kept = parse(sdl).definitions.flatMap((d): DefinitionNode[] => {
    if (d.kind === Kind.SCHEMA_DEFINITION || d.kind === Kind.DIRECTIVE_DEFINITION) return [];
    if ('name' in d && d.name && FEDERATION_ADDED.test(d.name.value)) return [];
    if (
      (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) &&
      d.fields
    ) {
      return [{ ...d, fields: d.fields.filter((f) => !FEDERATION_ADDED.test(f.name.value)) }];
    }
    return [d];
  });
  // A description may be a "string" or a """block""": the same text either way.
  const oneStyle = (d: DefinitionNode) =>
    print(visit(d, { StringValue: (node) => ({ ...node, block: false }) }));
  return kept.map(oneStyle).sort().join('\n\n');
}

/**
 * `rover subgraph introspect` (no plugin, no network beyond the subgraph; docs/schema-checks.md)
 * against each running subgraph must give back its committed schema.graphql, so what is composed
 * and what is served cannot drift apart.
 */
describe('rover against the running subgraphs', () => {
  let kafka: Kafka;
  let platform: Platform;

  beforeAll(async () => {
    kafka = createKafka({
      clientId: 'e2e-rover',
      brokers: infra.kafkaBrokers,
      logger: pino({ level: 'silent' }),
    });
    platform = await startPlatform(kafka);
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  }, 60_000);

  it.each<SubgraphName>(['product', 'cart', 'checkout', 'orders'])(
    'rover subgraph introspect of %s matches its schema.graphql',
    async (name) => {
      const { stdout } = await run(
        roverBinary(ROOT),
        ['subgraph', 'introspect', platform.subgraphUrls[name]],
        {
          env: { ...process.env, APOLLO_TELEMETRY_DISABLED: '1' },
          timeout: 60_000,
        },
      );
      const committed = readFileSync(path.join(ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8');
      expect(normalized(stdout)).toBe(normalized(committed));
    },
    90_000,
  );
});
