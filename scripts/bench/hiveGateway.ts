/**
 * Hive Gateway (The Guild, npm `@graphql-hive/gateway`) for `npm run bench:gateway`: the peer a
 * shop would pick instead of stock @apollo/gateway. It is not a project dependency: the first
 * run installs the pinned version into the cache folder (outside the repository), later runs
 * reuse it. Its only configuration is forwarding the caller's Authorization header to the
 * subgraphs (it forwards none by default), the same addition the stock gateway gets.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const HIVE_GATEWAY_VERSION = '2.15.1';

const cacheRoot = process.env.SHOP_CACHE_DIR ?? path.join(homedir(), '.cache', 'shop-supergraph');

/** The folder holding node_modules/@graphql-hive/gateway and our gateway.config.mjs. */
export function ensureHiveGateway(log: (line: string) => void): string {
  const dir = path.join(cacheRoot, `hive-gateway-${HIVE_GATEWAY_VERSION}`);
  const bin = path.join(dir, 'node_modules', '.bin', 'hive-gateway');
  if (!existsSync(bin)) {
    log(`installing @graphql-hive/gateway@${HIVE_GATEWAY_VERSION} into ${dir} (first run only)`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `@graphql-hive/gateway@${HIVE_GATEWAY_VERSION}`,
      ],
      { cwd: dir, stdio: 'inherit' },
    );
  }
  writeFileSync(
    path.join(dir, 'gateway.config.mjs'),
    [
      '// Written by scripts/bench/hiveGateway.ts: forward the caller token, nothing else.',
      'export const gatewayConfig = {',
      '  propagateHeaders: {',
      '    fromClientToSubgraphs: ({ request }) => {',
      "      const authorization = request.headers.get('authorization');",
      '      return authorization ? { authorization } : {};',
      '    },',
      '  },',
      '};',
      '',
    ].join('\n'),
  );
  return dir;
}

/** argv for `node <bin> supergraph <file> --port <port> --host 127.0.0.1`, run in `dir`. */
export function hiveGatewayArgs(dir: string, supergraphPath: string, port: number): string[] {
  return [
    path.join(dir, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js'),
    'supergraph',
    supergraphPath,
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
  ];
}
