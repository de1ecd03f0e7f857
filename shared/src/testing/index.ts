/**
 * Helpers for integration tests against the real servers that `scripts/infra.sh up` starts.
 * Not exported from the package root: production code never imports test support.
 */
import net, { type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { mintToken } from '../auth';

export const TEST_JWT_SECRET = 'test-secret-at-least-thirty-two-characters';

export const infra = {
  postgresAdminUrl:
    process.env.TEST_POSTGRES_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  mongoUrl: process.env.TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017',
  kafkaBrokers: (process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
};

/** A name no other test run uses: databases, topics, consumer groups, user ids. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/**
 * Creates an empty PostgreSQL database for one test file and returns its URL and a dropper,
 * so suites never see each other's rows.
 */
export async function createTestDatabase(
  prefix: string,
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix).toLowerCase();
  const admin = new Client({ connectionString: infra.postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(infra.postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new Client({ connectionString: infra.postgresAdminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function testToken(
  sub: string,
  options: { scope?: string; secret?: string; expiresIn?: string | number } = {},
): Promise<string> {
  return mintToken(
    options.secret ?? TEST_JWT_SECRET,
    { sub, scope: options.scope },
    options.expiresIn ?? '1h',
  );
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError instanceof Error ? `: ${lastError.message}` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** POSTs a GraphQL operation and returns the parsed body (errors included, never thrown). */
export async function graphqlRequest<TData = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<{
  status: number;
  data?: TData | null;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
}> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      // Apollo Server's CSRF prevention wants a non-simple request; tests are not browsers.
      'apollo-require-preflight': 'true',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: TData | null; errors?: never };
  return { status: res.status, ...body };
}

/** A loopback port that was free a moment ago (bound and released), for child processes. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
