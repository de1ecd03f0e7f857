import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** What every log line of a request carries besides the trace ids (see logger.ts). */
export interface RequestContext {
  requestId: string;
  /** Set once the caller is authenticated. */
  userId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const REQUEST_ID_HEADER = 'x-request-id';
/** A caller's id is kept only if it is short and plain: it ends up in logs and headers. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Records the authenticated user on the current request, for its later log lines. */
export function setRequestUser(userId: string | undefined): void {
  const store = storage.getStore();
  if (store && userId) store.userId = userId;
}

/**
 * Accepts the caller's `X-Request-Id` (or makes one), returns it in the response, and keeps it
 * in an AsyncLocalStorage for the rest of the request: the logger adds it to every line and the
 * gateway forwards it to the subgraphs it calls.
 */
export function requestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    const offered = req.get(REQUEST_ID_HEADER);
    const requestId = offered && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, requestId);
    storage.run({ requestId }, next);
  };
}
