/**
 * Test support for the gateway's integration tests: a tiny real subgraph (shared
 * startSubgraphServer, so it verifies forwarded tokens exactly as production subgraphs do), a
 * supergraph composed for it in a temp file, and a gateway on a random port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import {
  createLogger,
  createTokenVerifier,
  requireViewer,
  startSubgraphServer,
  type BaseContext,
  type Logger,
  type RunningSubgraph,
  type TokenVerifier,
} from '@shop/shared';
import { freePort, TEST_JWT_SECRET, uniqueName, waitFor } from '@shop/shared/src/testing';
import type { ProductService } from '@shop/product-subgraph';
import { startProductService as startProductSubgraph } from '@shop/product-subgraph/test/support';
import { loadGatewayConfig } from '../src/config';
import { createGateway, type RunningGateway } from '../src/service';
import { composeSubgraphs } from '../src/supergraph/compose';

export const silentLogger = createLogger('gateway-test', 'silent');

export const WHOAMI_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

type Query {
  "Public: answers with or without a token."
  ping: String!
  "Protected: the caller as the subgraph itself verified the forwarded token."
  whoami: Caller!
}

type Caller {
  userId: ID!
  scopes: [String!]!
}
`;

/** A subgraph with one public and one protected field; `verifyToken` defaults to HS256. */
export function startWhoamiSubgraph(
  verifyToken: TokenVerifier = createTokenVerifier({ secret: TEST_JWT_SECRET }),
): Promise<RunningSubgraph> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(WHOAMI_SDL),
    resolvers: {
      Query: {
        ping: () => 'pong',
        // buildSubgraphSchema types the context as unknown; startSubgraphServer builds it.
        whoami: (_: unknown, __: unknown, context: unknown) => {
          const v = requireViewer((context as BaseContext).viewer);
          return { userId: v.userId, scopes: [...v.scopes] };
        },
      },
    },
  });
  return startSubgraphServer({
    name: 'whoami',
    port: 0,
    schema,
    logger: silentLogger,
    verifyToken,
    context: (base) => base,
    readiness: {},
  });
}

/**
 * The real product service in-process on its own SQLite file (seeded unless `env` says
 * otherwise) on free ports, started as the product subgraph's own tests start it; `env` adds or
 * overrides its variables (a fixed PORT to restart it).
 */
export function startProductService(
  databaseFile: string,
  env: Record<string, string> = {},
): Promise<ProductService> {
  return startProductSubgraph(`file:${databaseFile}`, env);
}

/** Composes one-subgraph supergraphs into a temp folder, as `npm run schema:compose` would. */
export class SupergraphFiles {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'gateway-test-'));
  private count = 0;

  write(subgraphs: { name: string; url: string; sdl: string }[]): string {
    const outcome = composeSubgraphs(subgraphs);
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    const file = path.join(this.dir, `supergraph-${this.count++}.graphql`);
    writeFileSync(file, outcome.supergraphSdl);
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An in-process gateway on a free port; `logger` receives its lines (silent by default). */
export function startGateway(
  env: Record<string, string>,
  logger: Logger = silentLogger,
): Promise<RunningGateway> {
  const config = loadGatewayConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    // Off unless a test turns it on: several tests name a per-user test subgraph "product".
    PUBLIC_CACHE_TTL_MS: '0',
    // A budget of its own: every test (and every engineer's, on the shared Redis) calls from
    // 127.0.0.1, so the default prefix would let one suite's traffic refuse another's with 429.
    RATE_LIMIT_PREFIX: uniqueName('gateway-test-rl'),
    ...env,
  });
  return createGateway(config, { logger });
}

/** The repository root, where entry points are run from as `npm start` does. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface GatewayProcess {
  url: string;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

export interface ServiceProcess {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  pid: number;
  /** Sends `signal` (SIGKILL: no shutdown hooks, as a crash) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then waits for the process to exit (nothing when it already has). */
  stop(): Promise<void>;
  /** What the process wrote to stderr so far. */
  stderr(): string;
}

/**
 * A real service process (`entry` under tsx, as `npm start` runs it) on `port`, resolved once
 * `readyPath` answers 200. Nothing is shared with the test process but the environment given.
 */
export async function spawnService(
  entry: string,
  port: number,
  env: Record<string, string>,
  readyPath = '/health/ready',
): Promise<ServiceProcess> {
  // One node process (not the tsx CLI, which forks), so a signal reaches the service itself.
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      JWT_SECRET: TEST_JWT_SECRET,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (!running()) throw new Error(`${entry} exited ${child.exitCode}: ${stderr}`);
        const res = await fetch(`${baseUrl}${readyPath}`);
        if (!res.ok) throw new Error(`${readyPath} ${res.status}: ${await res.text()}`);
        return true;
      },
      { what: `${entry} to be ready`, timeoutMs: 150_000, intervalMs: 200 },
    );
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  const kill = async (signal: NodeJS.Signals) => {
    if (running()) child.kill(signal);
    await exited;
  };
  return { baseUrl, pid: child.pid!, kill, stop: () => kill('SIGTERM'), stderr: () => stderr };
}

/**
 * A real gateway process (gateway/src/index.ts under tsx, as `npm start` runs it) on a free port,
 * resolved once /health/ready answers 200. Unlike startGateway, nothing is shared with the test
 * process: no module state, no Redis client, no limiter; only the environment given.
 */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const gateway = await spawnService('gateway/src/index.ts', await freePort(), {
    PUBLIC_CACHE_TTL_MS: '0',
    ...env,
  });
  return { url: `${gateway.baseUrl}/graphql`, stop: gateway.stop };
}

/** A loopback URL nothing listens on: a port we bound and released. */
export async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/graphql`;
}

export interface GraphQLHttpResult {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

/** POSTs an operation with exactly the headers given (the shared helper only takes a token). */
export async function post(
  url: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<GraphQLHttpResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as never };
}

/**
 * An HTTP hop in front of a subgraph that counts the requests it forwards, so a test can prove
 * the gateway refused an operation without calling the subgraph, and keeps their headers.
 */
export async function countingSubgraphProxy(targetUrl: string): Promise<{
  url: string;
  requests: () => number;
  /** The headers of each forwarded request, oldest first. */
  headers: () => http.IncomingHttpHeaders[];
  close: () => Promise<void>;
}> {
  let requests = 0;
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests += 1;
    seen.push(req.headers);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fetch(targetUrl, {
        method: 'POST',
        headers: Object.fromEntries(
          Object.entries(req.headers).filter(
            (e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host',
          ),
        ),
        body: Buffer.concat(chunks),
      })
        .then(async (upstream) => {
          // Cache-Control too: the gateway's public cache stores only what the subgraph allows.
          const cacheControl = upstream.headers.get('cache-control');
          res.writeHead(upstream.status, {
            'content-type': 'application/json',
            ...(cacheControl ? { 'cache-control': cacheControl } : {}),
          });
          res.end(Buffer.from(await upstream.arrayBuffer()));
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    requests: () => requests,
    headers: () => [...seen],
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * One sample of a Prometheus text exposition (what /metrics serves): the value of `name` whose
 * labels include `labels`, 0 when there is none yet.
 */
export function metricValue(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(match[3]);
  }
  return 0;
}

export interface RedisServerProcess {
  url: string;
  port: number;
  /** Sends `signal` (SIGKILL: gone at once, as a crash) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port, empty (nothing is persisted), and waits for PONG. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Answers whether a Redis on `port` replies PONG to PING (plain RESP over TCP). */
function redisPong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (c: Buffer) => {
      reply += c.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.once('close', () => resolve(reply.startsWith('+PONG')));
    socket.once('error', () => undefined);
  });
}

/**
 * A redis-server of the test's own on a free loopback port, with no persistence: tests that
 * take Redis away mid-run must never touch the shared one (6379) other suites are using.
 */
export async function startRedisServer(): Promise<RedisServerProcess> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const spawned = spawn('redis-server', [...args, '--dir', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    spawned.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child = spawned;
    exited = new Promise((resolve) => spawned.once('exit', () => resolve()));
    try {
      await waitFor(
        async () => {
          if (!running()) throw new Error(`redis-server exited ${spawned.exitCode}: ${stderr}`);
          return redisPong(port);
        },
        { what: `redis-server on ${port}`, timeoutMs: 15_000, intervalMs: 50 },
      );
    } catch (err) {
      spawned.kill('SIGKILL');
      await exited;
      throw err;
    }
  };
  const kill = async (signal: NodeJS.Signals) => {
    if (running()) child?.kill(signal);
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: start,
    stop: async () => {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
