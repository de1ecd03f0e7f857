// The image's HEALTHCHECK, for whichever service the container runs: an HTTP GET of
// /health/live on HTTP_PORT (the gRPC stubs' optional health listener) or PORT (every GraphQL
// service), else a TCP connect to GRPC_PORT (a stub without its HTTP listener). Plain Node, no
// curl in the slim image. Exit 0 = healthy.
'use strict';
const net = require('node:net');

const httpPort = process.env.HTTP_PORT || process.env.PORT;
const done = (ok) => process.exit(ok ? 0 : 1);
setTimeout(() => done(false), 2500).unref();

if (httpPort) {
  fetch(`http://127.0.0.1:${httpPort}/health/live`).then(
    (r) => done(r.ok),
    () => done(false),
  );
} else if (process.env.GRPC_PORT) {
  net
    .connect(Number(process.env.GRPC_PORT), '127.0.0.1')
    .on('connect', () => done(true))
    .on('error', () => done(false));
} else {
  process.stderr.write('healthcheck: set PORT, HTTP_PORT or GRPC_PORT\n');
  done(false);
}
