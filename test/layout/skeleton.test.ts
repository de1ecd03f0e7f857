import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  README_SECTIONS,
  SERVICE_CONFIGS,
  checkInternalGrpc,
  checkServiceConfig,
  checkSubgraph,
  subgraphDirs,
} from './skeleton';

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

  it.each(SERVICE_CONFIGS.map((c) => [`${c.dir}/${c.file}`, c]))(
    '%s has the config shape of the subgraphs',
    (_file, { dir, file, name }) => {
      expect(checkServiceConfig(path.join(ROOT, dir), file, name)).toEqual([]);
    },
  );
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

  it('reports a DataLoader built anywhere but src/context.ts (unit tests excepted)', () => {
    write(
      'src/context.ts',
      "import DataLoader from 'dataloader';\nexport interface Context {}\n" +
        'export function createContext() {\n  return { loaders: { thing: new DataLoader(load) } };\n}\n',
    );
    write('src/data/store.test.ts', 'const loader = new DataLoader<string, Row>(load);\n');
    expect(problems()).toEqual([]);
    write('src/data/store.ts', 'export const things = new DataLoader<string, Row | null>(load);\n');
    write('src/resolvers/Thing.ts', 'const byId = new DataLoader((ids) => load(ids));\n');
    expect(problems()).toEqual([
      'fake: src/data/store.ts builds a DataLoader (per-request loaders are built in src/context.ts)',
      'fake: src/resolvers/Thing.ts builds a DataLoader (per-request loaders are built in src/context.ts)',
    ]);
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

/** The gateway's and the stubs' config modules, checked with the subgraphs' config rule. */
describe('checkServiceConfig on a fake tree', () => {
  let root: string;
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  const check = (dir: string, file: string, name: string) =>
    checkServiceConfig(path.join(root, dir), file, name);

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'service-config-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('accepts a camelCase config mapped from the shared loader', () => {
    write('gateway/src/config.ts', FAKE_CONFIG.replace(/Fake/g, 'Gateway'));
    expect(check('gateway', 'src/config.ts', 'Gateway')).toEqual([]);
  });

  it('reports a loader that returns the UPPER_CASE parse, and a missing module', () => {
    write(
      'gateway/src/config.ts',
      `import { env, loadConfig } from '@shop/shared';

const shape = { PORT: env.port(4000), LOG_LEVEL: env.logLevel() };

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(environment: NodeJS.ProcessEnv = process.env) {
  return loadConfig(shape, environment);
}
`,
    );
    expect(check('gateway', 'src/config.ts', 'Gateway')).toEqual([
      'gateway: src/config.ts exports no loadGatewayConfig(): GatewayConfig',
      'gateway: src/config.ts exports no interface GatewayConfig',
    ]);
    expect(check('internal-grpc', 'stubs/payment/config.ts', 'Payment')).toEqual([
      'internal-grpc: missing stubs/payment/config.ts',
    ]);
  });

  it('reports UPPER_CASE keys and a parser other than the shared loadConfig', () => {
    write(
      'internal-grpc/stubs/payment/config.ts',
      FAKE_CONFIG.replace(/Fake/g, 'Payment')
        .replace("import { env, loadConfig, subgraphServerEnv } from '@shop/shared';", '')
        .replace('  storeUrl: string;', '  PAYMENT_SUCCESS_RATE: number;'),
    );
    expect(check('internal-grpc', 'stubs/payment/config.ts', 'Payment')).toEqual([
      "internal-grpc: stubs/payment/config.ts does not parse the environment with @shop/shared's loadConfig",
      'internal-grpc: stubs/payment/config.ts: PaymentConfig key PAYMENT_SUCCESS_RATE is not camelCase',
    ]);
  });
});
