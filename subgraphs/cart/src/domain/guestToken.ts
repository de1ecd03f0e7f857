/**
 * Guest cart tokens. A token is 256 random bits (crypto.randomBytes) as base64url, 43
 * characters; the cart is stored under `guest:` + the token's SHA-256, never the token itself,
 * so whoever reads the database or the cache learns owner keys but no usable token. SHA-256
 * without a salt is enough here: the input is 256 random bits, not a guessable password.
 */
import { createHash, randomBytes } from 'node:crypto';
import { unauthenticated, type Viewer } from '@shop/shared';
import { CART_RETENTION_MS } from './cart';

export const GUEST_OWNER_PREFIX = 'guest:';
const TOKEN_BYTES = 32;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newCartToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export const isGuestOwner = (owner: string) => owner.startsWith(GUEST_OWNER_PREFIX);

export const unknownCartToken = () =>
  unauthenticated(
    'Unknown or expired cart token: send X-Cart-Token with a token from createGuestCart ' +
      '(guest carts expire after a period without changes), or sign in.',
  );

/** The owner key of a token's cart; null for anything createGuestCart cannot have made. */
export function guestOwnerKey(cartToken: string): string | null {
  if (!TOKEN.test(cartToken)) return null;
  return GUEST_OWNER_PREFIX + createHash('sha256').update(cartToken).digest('hex');
}

/** Whose cart a cart operation acts on. */
export interface CartOwner {
  key: string;
  guest: boolean;
}

/**
 * A signed-in caller's cart when there is a JWT, even if X-Cart-Token came too (a client that
 * signed in but still sends the old header must not keep writing to the guest cart; it merges
 * it instead); else the guest cart of X-Cart-Token; else UNAUTHENTICATED.
 */
export function cartOwner(viewer: Viewer | undefined, cartToken: string | undefined): CartOwner {
  if (viewer) {
    // A subject in the guest namespace would address a guest cart without its token.
    if (isGuestOwner(viewer.userId)) throw unauthenticated('This token cannot own a cart.');
    return { key: viewer.userId, guest: false };
  }
  if (cartToken === undefined) {
    throw unauthenticated(
      'Sign in (Authorization: Bearer <JWT>) or send X-Cart-Token with a token from createGuestCart.',
    );
  }
  const key = guestOwnerKey(cartToken);
  if (!key) throw unknownCartToken();
  return { key, guest: true };
}

/** How long a cart of `owner` lives without a change. */
export type RetentionPolicy = (owner: string) => number;

export function retentionPolicy(guestRetentionMs: number): RetentionPolicy {
  return (owner) => (isGuestOwner(owner) ? guestRetentionMs : CART_RETENTION_MS);
}
