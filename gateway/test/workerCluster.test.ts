import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { freePort, waitFor } from '@shop/shared/src/testing';
import {
  metricValue,
  spawnService,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
  type ServiceProcess,
} from './support';

/** The pids of `pid`'s gateway child processes (the cluster's workers; tsx may add esbuild). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'gateway/src/index.ts'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * GATEWAY_WORKERS=2 on a real gateway process: one port served by two gateway processes, one
 * set of metrics for both, a crashed worker replaced, and SIGTERM stopping all of them.
 */
describe('GATEWAY_WORKERS: several gateway processes behind one port', () => {
  const files = new SupergraphFiles();
  let whoami: Awaited<ReturnType<typeof startWhoamiSubgraph>>;
  let gateway: ServiceProcess;

  beforeAll(async () => {
    whoami = await startWhoamiSubgraph();
    const supergraph = files.write([{ name: 'whoami', url: whoami.url, sdl: WHOAMI_SDL }]);
    gateway = await spawnService('gateway/src/index.ts', await freePort(), {
      SUPERGRAPH_PATH: supergraph,
      GATEWAY_WORKERS: '2',
      RATE_LIMIT_ENABLED: 'false',
      PERSISTED_QUERIES: 'off',
      SUBSCRIPTIONS_ENABLED: 'false',
      PUBLIC_CACHE_TTL_MS: '0',
    });
    // Ready means one worker answers; wait for both.
    await waitFor(() => childrenOf(gateway.pid).length === 2, {
      what: 'two workers',
      timeoutMs: 60_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; children ${childrenOf(gateway.pid)}\n${gateway.stderr()}`);
    });
  }, 200_000);

  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await whoami?.stop();
    files.remove();
  });

  /**
   * The same on a connection of its own. A kept-alive connection belongs to the worker that
   * accepted it, so after a worker dies the client's pooled connection to it fails once, as it
   * would for any client of a process that crashed; new connections go to the live workers.
   */
  const pingOnNewConnection = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        `${gateway.baseUrl}/graphql`,
        {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => {
            try {
              expect(res.statusCode).toBe(200);
              expect((JSON.parse(body) as { data?: unknown }).data).toEqual({ ping: 'pong' });
              resolve();
            } catch (err) {
              reject(err as Error);
            }
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
      req.end(JSON.stringify({ query: 'query Ping { ping }' }));
    });
  /** The Ping count in /metrics, scraped on a connection of its own (so from either worker). */
  const operations = async () => {
    const res = await fetch(`${gateway.baseUrl}/metrics`, { headers: { connection: 'close' } });
    expect(res.status).toBe(200);
    return metricValue(await res.text(), 'graphql_operation_duration_seconds_count', {
      operation_name: 'Ping',
      outcome: 'ok',
    });
  };

  it('answers on one port and counts every operation once in /metrics, whichever worker is scraped', async () => {
    const before = await operations();
    // New connections, which the kernel spreads over both workers' sockets.
    for (let i = 0; i < 40; i++) await pingOnNewConnection();
    // Each scrape lands on either worker; each must report both workers' operations together
    // (one worker's own registry would hold about half).
    for (let i = 0; i < 6; i++) expect((await operations()) - before).toBe(40);
  });

  it('replaces a worker that dies, and the others answer meanwhile', async () => {
    const [victim, survivor] = childrenOf(gateway.pid);
    process.kill(victim!, 'SIGKILL');
    // Connections the dying worker had accepted are reset with it (a crash loses what was in
    // it); once it is gone, every new connection goes to a live worker, none is left hanging.
    // Gone = reaped: its command line disappears before its sockets close, its pid after.
    await waitFor(() => !alive(victim!), { what: 'the worker gone' });
    for (let i = 0; i < 10; i++) await pingOnNewConnection();
    await waitFor(
      () => {
        const now = childrenOf(gateway.pid);
        return now.length === 2 && now.includes(survivor!) && !now.includes(victim!);
      },
      { what: 'a new worker in place of the killed one', timeoutMs: 60_000 },
    );
    for (let i = 0; i < 10; i++) await pingOnNewConnection();
  }, 90_000);

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = childrenOf(gateway.pid);
    expect(workers).toHaveLength(2);
    await gateway.stop();
    expect(workers.filter(alive)).toEqual([]);
    expect(gateway.stderr()).not.toMatch(/did not stop in time/);
  }, 60_000);
});
