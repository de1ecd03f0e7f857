import { createHash, randomUUID } from 'node:crypto';
import type { RunningSubgraph } from '@shop/shared';
import { uniqueName, waitFor } from '@shop/shared/src/testing';
import {
  metricValue,
  post,
  spawnGateway,
  startRedisServer,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
  type GatewayProcess,
  type GraphQLHttpResult,
  type RedisServerProcess,
} from './support';

/** Cost units per window for each client; `{ ping }` costs 1. */
const POINTS = 5;
const PING = '{ ping }';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/**
 * Redis going away while the gateway runs (the other fail-open tests start without one): a
 * gateway process on a redis-server of the test's own, which is SIGKILLed mid-run and started
 * again. The rate limiter and the APQ cache both live in it.
 */
describe('Redis killed under a running gateway', () => {
  const files = new SupergraphFiles();
  let redis: RedisServerProcess;
  let subgraph: RunningSubgraph;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    [redis, subgraph] = await Promise.all([startRedisServer(), startWhoamiSubgraph()]);
    gateway = await spawnGateway({
      SUPERGRAPH_PATH: files.write([{ name: 'whoami', url: subgraph.url, sdl: WHOAMI_SDL }]),
      REDIS_URL: redis.url,
      RATE_LIMIT_PREFIX: uniqueName('rl'),
      RATE_LIMIT_POINTS: String(POINTS),
      PERSISTED_QUERIES: 'apq',
      // The test is the proxy: each phase speaks for a client address of its own.
      TRUSTED_PROXIES: 'loopback',
      SUBSCRIPTIONS_ENABLED: 'false',
    });
  }, 200_000);
  afterAll(async () => {
    await gateway?.stop();
    await subgraph?.stop();
    await redis?.stop();
    files.remove();
  });

  const metric = async (name: string) =>
    metricValue(await (await fetch(gateway.url.replace(/graphql$/, 'metrics'))).text(), name);
  const failOpenCount = () => metric('gateway_rate_limiter_unavailable_total');
  const apqOutageCount = () => metric('gateway_apq_cache_unavailable_total');
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  async function send(body: unknown): Promise<GraphQLHttpResult> {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as never };
  }

  /** `n` pings from one client, each answered in full. */
  async function served(n: number, ip: string) {
    for (let i = 0; i < n; i += 1) {
      const res = await post(gateway.url, PING, from(ip));
      expect([res.status, res.body.errors]).toEqual([200, undefined]);
      expect(res.body.data).toEqual({ ping: 'pong' });
    }
  }

  async function refused(ip: string) {
    const res = await post(gateway.url, PING, from(ip));
    expect(res.status).toBe(429);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  }

  it('limits while Redis is up, serves without limits (counted) once it is killed, and limits again after it is back', async () => {
    // Up: this Redis holds the budgets and the APQ registrations.
    await served(POINTS, '198.51.100.30');
    await refused('198.51.100.30');
    const query = `query Outage { ping } # ${randomUUID()}`;
    const hash = sha256(query);
    expect((await send({ query, extensions: persisted(hash) })).body.data).toEqual({
      ping: 'pong',
    });
    expect((await send({ extensions: persisted(hash) })).body.data).toEqual({ ping: 'pong' });
    const failOpenBefore = await failOpenCount();
    expect(failOpenBefore).toBe(0);

    await redis.kill('SIGKILL');

    // Down: the client whose budget was spent is served again, promptly, and every unchecked
    // request is counted.
    const started = Date.now();
    await served(6, '198.51.100.30');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await failOpenCount()) - failOpenBefore).toBeGreaterThanOrEqual(6);
    // APQ fails open too: the registered hash is a miss now, and the full query still runs.
    const apqBefore = await apqOutageCount();
    const miss = await send({ extensions: persisted(hash) });
    expect(miss.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await send({ query, extensions: persisted(hash) })).body.data).toEqual({
      ping: 'pong',
    });
    expect(await apqOutageCount()).toBeGreaterThan(apqBefore);

    // Back (empty: nothing was persisted): once the gateway has reconnected, which a request
    // shows by being checked rather than counted, limits apply again.
    await redis.restart();
    await waitFor(
      async () => {
        const before = await failOpenCount();
        expect((await post(gateway.url, PING, from('192.0.2.1'))).status).toBe(200);
        return (await failOpenCount()) === before;
      },
      { what: 'the rate limiter to reconnect to Redis', timeoutMs: 20_000, intervalMs: 200 },
    );
    const failOpenAfter = await failOpenCount();
    await served(POINTS, '198.51.100.31');
    await refused('198.51.100.31');
    expect(await failOpenCount()).toBe(failOpenAfter);
    // And the APQ cache: a hash registered now is found again by hash alone.
    await waitFor(
      async () => {
        await send({ query, extensions: persisted(hash) });
        return (await send({ extensions: persisted(hash) })).body.data?.ping === 'pong';
      },
      { what: 'the APQ cache to reconnect to Redis', timeoutMs: 20_000, intervalMs: 200 },
    );
  }, 90_000);
});
