/**
 * The subgraph skeleton (docs/subgraph-skeleton.md) as a checker: plain file system reads and
 * import-line matching, no compiler, so it runs in milliseconds and a stray shows as one line
 * naming the file and the rule. skeleton.test.ts runs it over the real tree and over fake ones.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every subgraph has these, relative to its folder. */
export const REQUIRED_FILES = [
  'schema.graphql',
  'codegen.ts',
  'README.md',
  'package.json',
  'src/index.ts',
  'src/service.ts',
  'src/config.ts',
  'src/context.ts',
  'src/resolvers/index.ts',
];
export const REQUIRED_FOLDERS = ['src/domain', 'src/data', 'test'];

/** The only entries allowed directly under src/ (plus `<entry>.test.ts` unit tests). */
export const SRC_ENTRIES = [
  'index.ts',
  'service.ts',
  'config.ts',
  'context.ts',
  'metrics.ts',
  'resolvers',
  'domain',
  'data',
  'grpc',
  'events',
  '__generated__',
];

/** Every subgraph README has these `## ` sections, in this order. */
export const README_SECTIONS = [
  'What it owns',
  'Layout',
  'Failures',
  'Configuration',
  'Tests',
  'Extending',
];

/** Readiness checks are named after the subgraph's store server (docs/subgraph-skeleton.md). */
export const READINESS_CHECKS = ['sqlite', 'mongodb', 'postgres'];

/** Calls that build an outbound gRPC client: those live in internal-grpc/contracts only. */
const CLIENT_CONSTRUCTION =
  /\b(connectClient|createGrpcCaller|makeGenericClientConstructor)\(|new grpc\.Client\(/;
/** "Gateway" names the GraphQL gateway only; a way of calling another service is a …Client. */
const GATEWAY_NAME = /\b(interface|type|class)\s+\w*Gateway\b/;
/** Building a DataLoader (generic arguments or not): per-request loaders live in src/context.ts. */
const DATALOADER_CONSTRUCTION = /\bnew\s+DataLoader\s*[<(]/;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name === '__generated__' || name === 'node_modules') return [];
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** Value (not `import type`) imports of a file, by module specifier. */
function valueImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)) {
    if (!match[1]) found.push(match[2] as string);
  }
  return found;
}

/** The object and input types schema.graphql defines or extends: the names a resolver file may have. */
function schemaTypes(schema: string): Set<string> {
  return new Set([...schema.matchAll(/^(?:extend\s+)?type\s+(\w+)/gm)].map((m) => m[1] as string));
}

/** camelCase: how every subgraph's code names its settings (the environment keeps UPPER_CASE). */
const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

/**
 * The config module's one shape: the environment parsed by `@shop/shared`'s `loadConfig` and
 * mapped by `load<Name>Config` onto `interface <Name>Config`, whose keys (nested ones too) are
 * camelCase, so `config.port` means the same in every service. `file` names the module in
 * the problems (src/config.ts in a subgraph).
 */
function checkConfig(name: string, file: string, source: string): string[] {
  const problems: string[] = [];
  if (!/^import\s+\{[^}]*\bloadConfig\b[^}]*\}\s+from\s+'@shop\/shared';/m.test(source)) {
    problems.push(`${file} does not parse the environment with @shop/shared's loadConfig`);
  }
  if (
    !new RegExp(`export function load${name}Config\\([^)]*\\):\\s*${name}Config\\s*\\{`).test(
      source,
    )
  ) {
    problems.push(`${file} exports no load${name}Config(): ${name}Config`);
  }
  const start = source.search(
    new RegExp(`^export interface ${name}Config(?: extends [\\w, ]+)? \\{$`, 'm'),
  );
  if (start < 0) {
    problems.push(`${file} exports no interface ${name}Config`);
    return problems;
  }
  const end = source.indexOf('\n}', start);
  const body = source
    .slice(source.indexOf('{', start) + 1, end < 0 ? undefined : end)
    .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  for (const match of body.matchAll(/(?:^|[{;,])\s*(\w+)\??:/gm)) {
    const key = match[1] as string;
    if (!CAMEL_CASE.test(key)) {
      problems.push(`${file}: ${name}Config key ${key} is not camelCase`);
    }
  }
  return problems;
}

/**
 * The services that are not subgraphs but load their settings the same way: the gateway and the
 * gRPC stubs. `dir` is relative to the repository root, `file` to `dir`.
 */
export const SERVICE_CONFIGS = [
  { dir: 'gateway', file: 'src/config.ts', name: 'Gateway' },
  { dir: 'internal-grpc', file: 'stubs/inventory/config.ts', name: 'Inventory' },
  { dir: 'internal-grpc', file: 'stubs/payment/config.ts', name: 'Payment' },
];

/** Problems of a non-subgraph config module (SERVICE_CONFIGS); empty when it has the shape. */
export function checkServiceConfig(dir: string, file: string, name: string): string[] {
  const full = path.join(dir, file);
  const problems = existsSync(full)
    ? checkConfig(name, file, readFileSync(full, 'utf8'))
    : [`missing ${file}`];
  return problems.map((p) => `${path.basename(dir)}: ${p}`);
}

/** Problems of one subgraph folder; empty when it has the skeleton's shape. */
export function checkSubgraph(dir: string): string[] {
  const problems: string[] = [];
  const at = (file: string) => path.join(dir, file);
  const read = (file: string) => readFileSync(at(file), 'utf8');

  for (const file of REQUIRED_FILES) {
    if (!existsSync(at(file))) problems.push(`missing ${file}`);
  }
  for (const folder of REQUIRED_FOLDERS) {
    if (!existsSync(at(folder)) || !statSync(at(folder)).isDirectory()) {
      problems.push(`missing folder ${folder}/`);
    }
  }
  if (!existsSync(at('src'))) return problems;

  for (const entry of readdirSync(at('src'))) {
    const base = entry.replace(/\.test\.ts$/, '.ts');
    if (!SRC_ENTRIES.includes(base)) problems.push(`unknown entry src/${entry}`);
  }

  if (existsSync(at('src/config.ts'))) {
    const folder = path.basename(dir);
    const name = folder.charAt(0).toUpperCase() + folder.slice(1);
    problems.push(...checkConfig(name, 'src/config.ts', read('src/config.ts')));
  }
  if (existsSync(at('src/context.ts'))) {
    const context = read('src/context.ts');
    if (!/export function createContext\(/.test(context)) {
      problems.push('src/context.ts exports no createContext()');
    }
    if (!/export interface Context\b/.test(context)) {
      problems.push('src/context.ts exports no interface Context');
    }
  }

  const types = existsSync(at('schema.graphql')) ? schemaTypes(read('schema.graphql')) : new Set();
  const resolversDir = at('src/resolvers');
  if (existsSync(resolversDir)) {
    for (const entry of readdirSync(resolversDir)) {
      const name = entry.replace(/\.ts$/, '');
      if (entry !== 'index.ts' && !entry.endsWith('.test.ts') && !types.has(name)) {
        problems.push(`src/resolvers/${entry} names no type of schema.graphql`);
      }
      const full = path.join(resolversDir, entry);
      if (!statSync(full).isFile()) continue;
      for (const spec of valueImports(readFileSync(full, 'utf8'))) {
        if (/^\.\.\/(data|grpc|events)(\/|$)/.test(spec)) {
          problems.push(
            `src/resolvers/${entry} imports ${spec} (go through the context or domain/)`,
          );
        }
      }
    }
  }

  if (existsSync(at('src/service.ts'))) {
    const service = read('src/service.ts');
    const consumers = sourceFiles(at('src/events')).filter((f) => /Consumer\.ts$/.test(f));
    if (consumers.length > 0 && !/\bsuperviseConsumer\(/.test(service)) {
      problems.push('src/service.ts runs Kafka consumers without superviseConsumer()');
    }
    const readiness = /readiness:\s*\{([^}]*)\}/.exec(service);
    if (!readiness) problems.push('src/service.ts passes no readiness checks');
    for (const [, key] of readiness?.[1]?.matchAll(/['"]?([\w-]+)['"]?\s*:/g) ?? []) {
      if (!READINESS_CHECKS.includes(key as string)) {
        problems.push(
          `src/service.ts: readiness check "${key}" is not a store (${READINESS_CHECKS.join(', ')})`,
        );
      }
    }
  }

  // Every subgraph has a store, so every one says in one place which of its failures are outages.
  if (!existsSync(at('src/data/outages.ts'))) {
    problems.push('missing src/data/outages.ts (isStoreUnavailable)');
  } else if (!/export function isStoreUnavailable\(/.test(read('src/data/outages.ts'))) {
    problems.push('src/data/outages.ts exports no isStoreUnavailable()');
  }

  for (const file of sourceFiles(at('src'))) {
    const rel = path.relative(dir, file);
    const source = readFileSync(file, 'utf8');
    const test = file.endsWith('.test.ts');
    if (!test && CLIENT_CONSTRUCTION.test(source)) {
      problems.push(
        `${rel} builds an outbound gRPC client (it belongs in internal-grpc/contracts)`,
      );
    }
    // One place per subgraph builds the per-request loaders, so each is fresh per request and
    // none is shared (a loader built in a store or resolver module would cache across requests).
    if (!test && rel !== path.join('src', 'context.ts') && DATALOADER_CONSTRUCTION.test(source)) {
      problems.push(`${rel} builds a DataLoader (per-request loaders are built in src/context.ts)`);
    }
    if (GATEWAY_NAME.test(source)) problems.push(`${rel} names a …Gateway type (call it …Client)`);
  }

  if (existsSync(at('README.md'))) {
    const headings = [...read('README.md').matchAll(/^## (.+)$/gm)].map((m) => m[1] as string);
    let last = -1;
    for (const section of README_SECTIONS) {
      const index = headings.findIndex((h) => h.startsWith(section));
      if (index < 0) problems.push(`README.md has no "## ${section}" section`);
      else if (index < last) problems.push(`README.md: "## ${section}" is out of order`);
      else last = index;
    }
  }
  return problems.map((p) => `${path.basename(dir)}: ${p}`);
}

/** internal-grpc: no …Gateway names in its sources either. */
export function checkInternalGrpc(dir: string): string[] {
  return sourceFiles(dir)
    .filter((file) => GATEWAY_NAME.test(readFileSync(file, 'utf8')))
    .map((file) => `internal-grpc: ${path.relative(dir, file)} names a …Gateway type`);
}

/** Every folder under subgraphs/ is a subgraph. */
export function subgraphDirs(root: string): string[] {
  const base = path.join(root, 'subgraphs');
  return readdirSync(base)
    .map((name) => path.join(base, name))
    .filter((dir) => statSync(dir).isDirectory());
}
