import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { RequestHandler } from 'express';

/**
 * Names the request's server span after its route (`POST /graphql`) and sets `http.route`.
 *
 * The express instrumentation would do this too, but it also records a span per middleware and
 * router layer passed on the way (five per request at the gateway, among them `router -
 * /health/live` for routes that did not match), which measured 0.6 ms of CPU per request at
 * the gateway (docs/performance.md, profile 6). The http instrumentation reads the route from
 * the RPC metadata it puts in the request's context, so one assignment here gives the same
 * name without those spans. A no-op when tracing is off (there is no metadata).
 */
export function httpRoute(route: string): RequestHandler {
  return (_req, _res, next) => {
    const metadata = getRPCMetadata(context.active());
    if (metadata?.type === RPCType.HTTP) metadata.route = route;
    next();
  };
}
