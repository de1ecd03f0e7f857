import {
  createRemoteJWKSet,
  jwtVerify,
  SignJWT,
  errors as joseErrors,
  type JWTPayload,
} from 'jose';
import { unauthenticated, forbidden } from './errors';

/** Who is calling, as the verified token says. */
export interface Viewer {
  userId: string;
  scopes: ReadonlySet<string>;
  /** The raw token, forwarded by the gateway so each subgraph verifies it again. */
  token: string;
}

export interface JwtOptions {
  /** HS256 shared secret (local default in config). */
  secret: string;
  /** When set, RS256 tokens are verified against this JWKS endpoint instead (production). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

export class AuthError extends Error {
  override name = 'AuthError';
}

export type TokenVerifier = (token: string) => Promise<Viewer>;

/**
 * Verifies a JWT with jose. The accepted algorithms are pinned, so `alg: none` or an RS/HS
 * confusion is refused by jose before the signature is even looked at; `exp` and `sub` are
 * required because an unbounded or anonymous token is never what a shop means to issue.
 */
export function createTokenVerifier(options: JwtOptions): TokenVerifier {
  const key = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : new TextEncoder().encode(options.secret);
  const algorithms = options.jwksUrl ? ['RS256'] : ['HS256'];
  return async (token) => {
    let payload: JWTPayload;
    try {
      const verifyOptions = {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'sub'],
      };
      // Two calls only because jose types its key-or-key-getter overloads separately.
      const verified =
        key instanceof Uint8Array
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key, verifyOptions);
      payload = verified.payload;
    } catch (err) {
      throw new AuthError(describeJoseError(err));
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new AuthError('The token has no subject (sub).');
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return { userId: payload.sub, scopes: new Set(scope.split(' ').filter(Boolean)), token };
  };
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The token has expired; mint a new one.';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'The token signature is not valid.';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'The token algorithm is not accepted.';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `The token claim "${err.claim}" is not valid: ${err.reason}.`;
  if (err instanceof joseErrors.JOSEError) return 'The token is malformed.';
  return 'The token could not be verified.';
}

/** Pulls the token out of an `Authorization: Bearer …` value; undefined when absent. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AuthError('The Authorization header must be "Bearer <JWT>".');
  return match[1];
}

/**
 * Resolves the viewer of a request: undefined when there is no token (public fields such as
 * the catalog still work), a GraphQL UNAUTHENTICATED error when a token is present but bad.
 */
export async function viewerFromHeader(
  verify: TokenVerifier,
  header: string | undefined | null,
): Promise<Viewer | undefined> {
  try {
    const token = bearerToken(header);
    return token === undefined ? undefined : await verify(token);
  } catch (err) {
    if (err instanceof AuthError) throw unauthenticated(err.message);
    throw err;
  }
}

export function requireViewer(viewer: Viewer | undefined): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

export function requireScope(viewer: Viewer | undefined, scope: string): Viewer {
  const v = requireViewer(viewer);
  if (!v.scopes.has(scope)) throw forbidden(`This needs the "${scope}" scope.`);
  return v;
}

/** Mints an HS256 token: the local `npm run token` command and tests use it. */
export async function mintToken(
  secret: string,
  claims: { sub: string; scope?: string },
  expiresIn: string | number = '12h',
): Promise<string> {
  const jwt = new SignJWT({ ...(claims.scope ? { scope: claims.scope } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt();
  jwt.setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(secret));
}
