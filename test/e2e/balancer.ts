import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Balancer {
  /** Base URL, e.g. http://127.0.0.1:40123 (append /graphql). */
  url: string;
  /** Requests each upstream answered, by its index in the list given at start. */
  served: number[];
  close: () => Promise<void>;
}

/** Per-connection headers: they describe one hop, never the request. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

const forwardable = (headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));

/**
 * A round-robin HTTP balancer in front of several instances of one subgraph, standing in for
 * the Kubernetes Service in front of its pods. It picks the next instance per request, not per
 * connection, so consecutive requests on one gateway's keep-alive connection alternate between
 * the instances (a test must see both work). An instance that refuses the connection (killed,
 * restarting) is skipped for that request: the request never reached it, so sending it to the
 * next one cannot run it twice; any later failure is answered 502, never retried.
 *
 * Hand-written (node:http, buffered bodies) rather than http-proxy: a test helper of forty lines
 * whose retry rule is exactly the one above, with no new dependency.
 */
export async function startBalancer(upstreamPorts: readonly number[]): Promise<Balancer> {
  const served = upstreamPorts.map(() => 0);
  let next = 0;

  function forward(
    index: number,
    req: http.IncomingMessage,
    body: Buffer,
    res: http.ServerResponse,
  ): Promise<'done' | 'refused'> {
    return new Promise((resolve) => {
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: upstreamPorts[index],
          method: req.method,
          path: req.url,
          headers: { ...forwardable(req.headers), 'content-length': String(body.length) },
          agent: false, // a fresh connection per request: a dead instance is found at connect
        },
        (answer) => {
          served[index] = (served[index] ?? 0) + 1;
          res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
          answer.pipe(res);
          answer.once('end', () => resolve('done'));
          answer.once('error', () => {
            res.destroy();
            resolve('done');
          });
        },
      );
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED') return resolve('refused');
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
        resolve('done');
      });
      upstream.end(body);
    });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        for (let tried = 0; tried < upstreamPorts.length; tried++) {
          const index = next++ % upstreamPorts.length;
          if ((await forward(index, req, body, res)) === 'done') return;
        }
        res.writeHead(502, { 'content-type': 'text/plain' }).end('no instance is accepting');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
