import { decodeJwt } from 'jose';
import type { TokenVerifier, Viewer } from '@shop/shared';

export interface TokenCacheOptions {
  /** Entries kept at most; the least recently used one is dropped for a new one. 0 = off. */
  maxEntries: number;
  /** The clock, in ms (tests move it). */
  now?: () => number;
}

/**
 * Remembers each successfully verified token until its own `exp`, so a signed-in shopper's
 * requests after the first skip the signature check (finding 5 in docs/performance.md; with
 * RS256 and a JWKS that check is the costly part of a request's authentication).
 *
 * Safe because the key is the whole token string: a viewer is only ever returned for the exact
 * token that was verified into it, so two users cannot share an entry, and an entry is dropped
 * at the moment the token expires (checked on every hit), so an expired token is verified again,
 * and refused. Failures are not cached: a forged or malformed token is checked (and refused)
 * every time and cannot push real entries out.
 *
 * A Map in insertion order as the LRU (a hit moves its entry to the end) rather than the
 * lru-cache package: the gateway does not depend on it, and this is the whole of what is needed.
 */
export function cachingTokenVerifier(
  verify: TokenVerifier,
  { maxEntries, now = Date.now }: TokenCacheOptions,
): TokenVerifier {
  if (maxEntries === 0) return verify;
  const entries = new Map<string, { viewer: Viewer; expiresAt: number }>();
  return async (token) => {
    const hit = entries.get(token);
    if (hit) {
      entries.delete(token);
      if (hit.expiresAt > now()) {
        entries.set(token, hit);
        return hit.viewer;
      }
    }
    const viewer = await verify(token);
    // verify() required `exp`; decoding again only reads it (the signature is already checked).
    const { exp } = decodeJwt(token);
    if (typeof exp === 'number') {
      entries.set(token, { viewer, expiresAt: exp * 1000 });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    }
    return viewer;
  };
}
