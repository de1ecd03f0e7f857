import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import { EdgeErrorCode } from '@shop/shared';
import type { GatewayContext } from '../auth';
import { edgeMetrics } from './metrics';

/**
 * The deadline of the client request a subgraph fetch belongs to. RemoteGraphQLDataSource
 * builds the fetch's init from method, headers and body only and never hands the context to
 * its fetcher, so the data source puts the signal here around `process` and the fetcher reads it.
 */
export const requestDeadline = new AsyncLocalStorage<AbortSignal | undefined>();

/** The signal a subgraph fetch obeys: its own timeout, and the client request's deadline. */
export function subgraphFetchSignal(timeoutMs: number): AbortSignal {
  const own = AbortSignal.timeout(timeoutMs);
  const deadline = requestDeadline.getStore();
  return deadline ? AbortSignal.any([own, deadline]) : own;
}

/**
 * An operation still running when its deadline passes answers HTTP 504 GATEWAY_TIMEOUT (Apollo
 * Router's code) instead of whatever partial data the aborted fetches left: a client that
 * waited that long is better told plainly to retry than shown half an answer.
 */
export function deadlinePlugin(timeoutMs: number): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (!contextValue.deadline?.aborted || response.body.kind !== 'single') return;
          edgeMetrics.timedOut.inc();
          response.http.status = 504;
          response.body.singleResult = {
            errors: [
              {
                message: `The request took longer than the gateway's ${timeoutMs} ms limit (REQUEST_TIMEOUT_MS) and was stopped; try again, or ask for less in one operation.`,
                extensions: { code: EdgeErrorCode.GATEWAY_TIMEOUT },
              },
            ],
          };
        },
      };
    },
  };
}
