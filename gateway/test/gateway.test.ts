import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningSubgraph } from '@shop/shared';
import type { RunningGateway } from '../src/service';
import {
  deadUrl,
  post,
  startGateway,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
} from './support';

/** A raw HTTP server standing in for a broken subgraph. */
async function fakeSubgraph(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('gateway', () => {
  const files = new SupergraphFiles();
  const stops: (() => Promise<unknown>)[] = [];
  let subgraph: RunningSubgraph;
  let gateway: RunningGateway;

  /** A gateway whose "product" subgraph is at `url` (through the env override). */
  async function gatewayWithProductAt(url: string, env: Record<string, string> = {}) {
    const supergraph = files.write([{ name: 'product', url: subgraph.url, sdl: WHOAMI_SDL }]);
    const gw = await startGateway({
      SUPERGRAPH_PATH: supergraph,
      PRODUCT_SUBGRAPH_URL: url,
      ...env,
    });
    stops.push(gw.stop);
    return gw;
  }

  beforeAll(async () => {
    subgraph = await startWhoamiSubgraph();
    gateway = await gatewayWithProductAt(subgraph.url);
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await subgraph?.stop();
    files.remove();
  });

  describe('subgraph URLs', () => {
    it('routes to the *_SUBGRAPH_URL override instead of the routing URL in the supergraph', async () => {
      const supergraph = files.write([{ name: 'product', url: await deadUrl(), sdl: WHOAMI_SDL }]);
      const gw = await startGateway({
        SUPERGRAPH_PATH: supergraph,
        PRODUCT_SUBGRAPH_URL: subgraph.url,
      });
      stops.push(gw.stop);
      expect((await post(gw.url, '{ ping }')).body).toMatchObject({ data: { ping: 'pong' } });
    });
  });

  describe('a subgraph that fails', () => {
    it('is reported as SERVICE_UNAVAILABLE naming the subgraph when it is down, without host or stack', async () => {
      const gw = await gatewayWithProductAt(await deadUrl());
      const result = await post(gw.url, '{ ping }');
      expect(result.status).toBe(200);
      expect(result.body.errors).toEqual([
        {
          message: 'The product service is not answering right now; try again in a moment.',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ]);
    });

    it('is reported as SERVICE_UNAVAILABLE when it does not answer within SUBGRAPH_TIMEOUT_MS', async () => {
      const hung = await fakeSubgraph(() => undefined); // accepts, never answers
      stops.push(hung.close);
      const gw = await gatewayWithProductAt(hung.url, { SUBGRAPH_TIMEOUT_MS: '300' });
      const result = await post(gw.url, '{ ping }');
      expect(result.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    });

    it('stops an operation past REQUEST_TIMEOUT_MS with 504 GATEWAY_TIMEOUT and aborts its subgraph fetch', async () => {
      let aborted = false;
      const slow = await fakeSubgraph((req, res) => {
        // Answers after 3 s, unless the gateway gave up on the request first.
        const timer = setTimeout(() => {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ data: { ping: 'pong' } }));
        }, 3000);
        res.on('close', () => {
          if (!res.writableFinished) aborted = true;
          clearTimeout(timer);
        });
        req.resume();
      });
      stops.push(slow.close);
      const gw = await gatewayWithProductAt(slow.url, { REQUEST_TIMEOUT_MS: '400' });
      const started = Date.now();
      const result = await post(gw.url, '{ ping }');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(result.status).toBe(504);
      expect(result.body.errors).toEqual([
        {
          message: expect.stringMatching(/400 ms limit \(REQUEST_TIMEOUT_MS\)/),
          extensions: { code: 'GATEWAY_TIMEOUT' },
        },
      ]);
      expect(result.body.data).toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
      expect(aborted).toBe(true);

      // The same slow subgraph inside the deadline answers normally.
      const patient = await gatewayWithProductAt(slow.url, { REQUEST_TIMEOUT_MS: '6000' });
      const answered = await post(patient.url, '{ ping }');
      expect(answered.status).toBe(200);
      expect(answered.body).toMatchObject({ data: { ping: 'pong' } });
    }, 15_000);

    it('is reported as SERVICE_UNAVAILABLE when it answers 503 with a non-GraphQL body', async () => {
      const broken = await fakeSubgraph((_req, res) => {
        res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>upstream down</h1>');
      });
      stops.push(broken.close);
      const gw = await gatewayWithProductAt(broken.url);
      const result = await post(gw.url, '{ ping }');
      expect(result.body.errors).toEqual([
        {
          message: 'The product service could not complete the request; try again in a moment.',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ]);
    });

    it('passes on an intended error from a non-2xx GraphQL answer, without the subgraph URL or body', async () => {
      const refusing = await fakeSubgraph((_req, res) => {
        res.writeHead(401, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            errors: [
              {
                message: 'The token has expired; mint a new one.',
                extensions: { code: 'UNAUTHENTICATED' },
              },
            ],
          }),
        );
      });
      stops.push(refusing.close);
      const gw = await gatewayWithProductAt(refusing.url);
      const result = await post(gw.url, '{ ping }');
      expect(result.body.errors).toEqual([
        {
          message: 'The token has expired; mint a new one.',
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ]);
    });
  });

  describe('HTTP limits and errors', () => {
    it('answers a body over REQUEST_BODY_LIMIT with 413 and a JSON error, not an HTML page', async () => {
      const gw = await gatewayWithProductAt(subgraph.url, { REQUEST_BODY_LIMIT: '1kb' });
      const query = `{ ping ${'# padding\n'.repeat(200)}}`;
      const result = await post(gw.url, query);
      expect(result.status).toBe(413);
      expect(result.body).toEqual({
        errors: [
          {
            message: 'The request body is larger than the 1kb limit.',
            extensions: { code: 'BAD_REQUEST' },
          },
        ],
      });
    });

    it('answers a body that is not JSON with 400 and a JSON error', async () => {
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query": ',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        errors: [
          { message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } },
        ],
      });
    });

    it('answers a syntax error in the operation with GRAPHQL_PARSE_FAILED', async () => {
      const result = await post(gateway.url, '{ ping ');
      expect(result.status).toBe(400);
      expect(result.body.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    });

    it('refuses a subscription over HTTP and says where subscriptions are served', async () => {
      const sdl = `${WHOAMI_SDL}\ntype Subscription { ticks: Int! }`;
      const supergraph = files.write([{ name: 'product', url: subgraph.url, sdl }]);
      const gw = await startGateway({ SUPERGRAPH_PATH: supergraph });
      stops.push(gw.stop);
      const result = await post(gw.url, 'subscription { ticks }');
      expect(result.status).toBe(400);
      expect(result.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining('WebSocket'),
        extensions: { code: 'BAD_REQUEST' },
      });
    });
  });

  describe('health and landing page', () => {
    const origin = () => new URL(gateway.url).origin;

    it('is live and ready once the supergraph is loaded', async () => {
      expect((await fetch(`${origin()}/health/live`)).status).toBe(200);
      const ready = await fetch(`${origin()}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { supergraph: 'ok' } });
    });

    it('reports each subgraph on /health/subgraphs, naming one that is down', async () => {
      const up = await fetch(`${origin()}/health/subgraphs`);
      expect(await up.json()).toEqual({ status: 'ok', subgraphs: { product: 'ok' } });
      const gw = await gatewayWithProductAt(await deadUrl());
      const down = await fetch(`${new URL(gw.url).origin}/health/subgraphs`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'degraded',
        subgraphs: { product: expect.stringMatching(/^unreachable/) },
      });
    });

    it('serves the embedded Apollo Sandbox to a browser at /graphql', async () => {
      const res = await fetch(gateway.url, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('embeddable-sandbox');
    });

    it('finishes a request in flight when stopped, then refuses connections', async () => {
      let received!: () => void;
      const requestArrived = new Promise<void>((resolve) => (received = resolve));
      const slow = await fakeSubgraph((_req, res) => {
        received();
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ data: { ping: 'slow pong' } }));
        }, 300);
      });
      stops.push(slow.close);
      const supergraph = files.write([{ name: 'product', url: slow.url, sdl: WHOAMI_SDL }]);
      const gw = await startGateway({ SUPERGRAPH_PATH: supergraph });
      const inFlight = post(gw.url, '{ ping }');
      await requestArrived;
      await gw.stop();
      expect((await inFlight).body).toMatchObject({ data: { ping: 'slow pong' } });
      await expect(fetch(`${new URL(gw.url).origin}/health/live`)).rejects.toThrow();
    });
  });
});
