import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { README_SECTIONS, checkInternalGrpc, checkSubgraph, subgraphDirs } from './skeleton';

const ROOT = path.join(__dirname, '..', '..');

describe('the subgraph skeleton (docs/subgraph-skeleton.md)', () => {
  it('finds the four subgraphs', () => {
    expect(
      subgraphDirs(ROOT)
        .map((d) => path.basename(d))
        .sort(),
    ).toEqual(['cart', 'checkout', 'orders', 'product']);
  });

  it.each(subgraphDirs(ROOT).map((d) => [path.basename(d), d]))(
    '%s has the shape',
    (_name, dir) => {
      expect(checkSubgraph(dir)).toEqual([]);
    },
  );

  it('internal-grpc names no …Gateway', () => {
    expect(checkInternalGrpc(path.join(ROOT, 'internal-grpc'))).toEqual([]);
  });
});

/** A config module of the skeleton's shape, as the fake subgraph's src/config.ts. */
const FAKE_CONFIG = `import { env, loadConfig, subgraphServerEnv } from '@shop/shared';

const shape = { ...subgraphServerEnv(4009), FAKE_STORE_URL: env.postgresUrl('fake') };

export interface FakeConfig {
  /** 0 binds a random free port (tests). */
  port: number;
  storeUrl: string;
  consumer: { enabled: boolean; maxAttempts: number };
}

export function loadFakeConfig(environment: NodeJS.ProcessEnv = process.env): FakeConfig {
  const c = loadConfig(shape, environment);
  return { port: c.PORT, storeUrl: c.FAKE_STORE_URL, consumer: { enabled: true, maxAttempts: 5 } };
}
`;

/** The checker itself, on a fake subgraph in a temporary folder: it must be able to fail. */
describe('checkSubgraph on a fake tree', () => {
  let dir: string;
  const write = (file: string, text = '') => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };

  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'skeleton-')), 'fake');
    write('schema.graphql', 'type Query {\n  thing: Thing\n}\n\ntype Thing {\n  id: ID!\n}\n');
    write('codegen.ts');
    write('package.json', '{}');
    write('README.md', README_SECTIONS.map((s) => `## ${s}\n\ntext\n`).join('\n'));
    write('src/index.ts');
    write(
      'src/service.ts',
      'startSubgraphServer({ readiness: { postgres: () => store.ping() } });\n',
    );
    write('src/config.ts', FAKE_CONFIG);
    write('src/context.ts', 'export interface Context {}\nexport function createContext() {}\n');
    write('src/resolvers/index.ts');
    write('src/resolvers/Query.ts', "import type { Row } from '../data/store';\n");
    write('src/resolvers/Thing.ts', "import { rule } from '../domain/rules';\n");
    write('src/domain/rules.ts');
    write('src/data/store.ts');
    write('src/data/outages.ts', 'export function isStoreUnavailable() {}\n');
    write('test/thing.test.ts');
  });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  const problems = () => checkSubgraph(dir);

  it('accepts the skeleton', () => {
    expect(problems()).toEqual([]);
  });

  it('reports a missing file or folder', () => {
    rmSync(path.join(dir, 'src/context.ts'));
    rmSync(path.join(dir, 'src/domain'), { recursive: true });
    expect(problems()).toEqual([
      'fake: missing src/context.ts',
      'fake: missing folder src/domain/',
    ]);
  });

  it('reports an unknown entry under src/', () => {
    write('src/types/context.ts');
    write('src/helpers.ts');
    expect(problems()).toEqual([
      'fake: unknown entry src/helpers.ts',
      'fake: unknown entry src/types',
    ]);
  });

  it('reports context.ts and config.ts without the common names', () => {
    write(
      'src/context.ts',
      'export interface Context {}\nexport function createFakeContext() {}\n',
    );
    write('src/config.ts', 'export const config = {};\n');
    expect(problems()).toEqual([
      "fake: src/config.ts does not parse the environment with @shop/shared's loadConfig",
      'fake: src/config.ts exports no loadFakeConfig(): FakeConfig',
      'fake: src/config.ts exports no interface FakeConfig',
      'fake: src/context.ts exports no createContext()',
    ]);
  });

  it('reports a config whose keys are not camelCase, or whose loader returns the raw parse', () => {
    write(
      'src/config.ts',
      FAKE_CONFIG.replace('  port: number;', '  PORT: number;')
        .replace('maxAttempts: number', 'MAX_ATTEMPTS: number')
        .replace('): FakeConfig {', ') {'),
    );
    expect(problems()).toEqual([
      'fake: src/config.ts exports no loadFakeConfig(): FakeConfig',
      'fake: src/config.ts: FakeConfig key PORT is not camelCase',
      'fake: src/config.ts: FakeConfig key MAX_ATTEMPTS is not camelCase',
    ]);
  });

  it('reports a resolver file that is no GraphQL type, and one that imports a store', () => {
    write('src/resolvers/pricing.ts');
    write('src/resolvers/Thing.ts', "import { openStore } from '../data/store';\n");
    expect(problems()).toEqual([
      'fake: src/resolvers/Thing.ts imports ../data/store (go through the context or domain/)',
      'fake: src/resolvers/pricing.ts names no type of schema.graphql',
    ]);
  });

  it('reports an outbound gRPC client and a …Gateway name inside a subgraph', () => {
    write(
      'src/grpc/paymentClient.ts',
      'export interface PaymentGateway {}\nconst client = connectClient(protos.payment().Payment, address);\n',
    );
    expect(problems()).toEqual([
      'fake: src/grpc/paymentClient.ts builds an outbound gRPC client (it belongs in internal-grpc/contracts)',
      'fake: src/grpc/paymentClient.ts names a …Gateway type (call it …Client)',
    ]);
  });

  it('reports a subgraph without the outage classifier, consumers or not', () => {
    rmSync(path.join(dir, 'src/data/outages.ts'));
    expect(problems()).toEqual(['fake: missing src/data/outages.ts (isStoreUnavailable)']);
    write('src/data/outages.ts', 'export const isStoreUnavailable = () => false;\n');
    expect(problems()).toEqual(['fake: src/data/outages.ts exports no isStoreUnavailable()']);
  });

  it('reports a consumer run without the supervisor, and readiness beyond the store', () => {
    write('src/events/thingConsumer.ts');
    write(
      'src/service.ts',
      "startSubgraphServer({ readiness: { postgres: ping, 'thing-consumer': running } });\n",
    );
    expect(problems()).toEqual([
      'fake: src/service.ts runs Kafka consumers without superviseConsumer()',
      'fake: src/service.ts: readiness check "thing-consumer" is not a store (sqlite, mongodb, postgres)',
    ]);
    write(
      'src/service.ts',
      'superviseConsumer((signal) => start(signal), options);\nstartSubgraphServer({ readiness: { postgres: ping } });\n',
    );
    expect(problems()).toEqual([]);
  });

  it('reports a README section that is missing or out of order', () => {
    const sections = README_SECTIONS.filter((s) => s !== 'Failures');
    [sections[0], sections[1]] = [sections[1] as string, sections[0] as string];
    write('README.md', sections.map((s) => `## ${s}\n`).join('\n'));
    expect(problems()).toEqual([
      'fake: README.md: "## Layout" is out of order',
      'fake: README.md has no "## Failures" section',
    ]);
  });
});
