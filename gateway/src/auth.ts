import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import {
  createTokenVerifier,
  ErrorCode,
  viewerFromHeader,
  type TokenVerifier,
  type Viewer,
} from '@shop/shared';
import type { GatewayConfig } from './config';
import { cachingTokenVerifier } from './performance/tokenCache';

/** What each operation at the gateway knows about its caller. */
export interface GatewayContext {
  /** Undefined for anonymous callers: the catalog is public, subgraphs guard the rest. */
  viewer: Viewer | undefined;
  /**
   * The client's address as express resolved it (TRUSTED_PROXIES decides which X-Forwarded-For
   * hops count). Unset for operations the gateway runs itself (the subscription feed), which
   * are not rate limited: their subscriber already paid when subscribing.
   */
  clientIp?: string;
  /** `X-Cart-Token` as the client sent it; forwarded to the cart subgraph only (guest carts). */
  cartToken?: string;
  /**
   * Aborts when the request's overall deadline (REQUEST_TIMEOUT_MS) passes: subgraph fetches
   * still in flight are cancelled, and the answer becomes GATEWAY_TIMEOUT.
   */
  deadline?: AbortSignal;
}

export function createGatewayTokenVerifier(
  config: Pick<GatewayConfig, 'jwt' | 'tokenCache'>,
): TokenVerifier {
  const verify = createTokenVerifier(config.jwt);
  return cachingTokenVerifier(verify, config.tokenCache);
}

/**
 * The edge check. No header: anonymous, and each subgraph decides whether its fields need a
 * viewer. A header that is present but wrong (expired, forged, `alg: none`, not "Bearer …") is
 * refused outright with HTTP 401, UNAUTHENTICATED and a WWW-Authenticate challenge (RFC 6750),
 * rather than downgraded to anonymous: a client whose token broke should be told, not be shown
 * a signed-out view.
 */
export async function authenticate(
  verify: TokenVerifier,
  authorization: string | undefined,
): Promise<Viewer | undefined> {
  try {
    return await viewerFromHeader(verify, authorization);
  } catch (err) {
    if (err instanceof GraphQLError && err.extensions.code === ErrorCode.UNAUTHENTICATED) {
      throw new GraphQLError(err.message, {
        extensions: {
          code: ErrorCode.UNAUTHENTICATED,
          // Apollo Server turns `http` into the response status and headers, then drops it.
          http: {
            status: 401,
            headers: new HeaderMap([
              [
                'www-authenticate',
                `Bearer error="invalid_token", error_description="${err.message.replace(/"/g, "'")}"`,
              ],
            ]),
          },
        },
      });
    }
    throw err;
  }
}
