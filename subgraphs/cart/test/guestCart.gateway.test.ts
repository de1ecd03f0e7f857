/**
 * Guest carts through the gateway, on the real product service, FerretDB and Redis: a cart
 * for X-Cart-Token instead of a JWT, merged into the shopper's cart once they sign in.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createLogger } from '@shop/shared';
import { infra, testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import { CART_COLLECTION } from '../src/data/cartStore';
import { startShop, type Shop } from './shop';

const CART = /* GraphQL */ `
  fragment Full on Cart {
    id
    totalQuantity
    updatedAt
    items {
      product {
        id
        name
      }
      quantity
    }
  }
`;
const CREATE = `${CART} mutation { createGuestCart { cartToken cart { ...Full } } }`;
const VIEW = `${CART} query { cart { ...Full } }`;
const ADD = `${CART} mutation ($id: ID!, $q: Int!) { addToCart(productId: $id, quantity: $q) { ...Full } }`;
const UPDATE = `${CART} mutation ($id: ID!, $q: Int!) { updateCartItemQuantity(productId: $id, quantity: $q) { ...Full } }`;
const REMOVE = `${CART} mutation ($id: ID!) { removeFromCart(productId: $id) { ...Full } }`;
const CLEAR = `${CART} mutation { clearCart { ...Full } }`;
const MERGE = `${CART} mutation ($t: String!) { mergeGuestCart(cartToken: $t) { ...Full } }`;

interface FullCart {
  id: string;
  totalQuantity: number;
  updatedAt: string | null;
  items: { product: { id: string; name: string }; quantity: number }[];
}
interface GqlError {
  message: string;
  extensions?: { code?: string; problems?: { productId: string; rule: string }[] };
}
interface Response {
  data?: Record<string, FullCart & { cartToken: string; cart: FullCart }> | null;
  errors?: GqlError[];
}

let shop: Shop;
const logLines: string[] = [];

beforeAll(async () => {
  // Both the gateway and the cart service log into this stream at the most verbose level.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('guest-test', 'trace', sink);
  shop = await startShop({ logger, cartOptions: { logger } });
});

afterAll(async () => {
  await shop?.stop();
});

async function post(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<Response> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response;
}

const lines = (cart: FullCart | undefined) => cart?.items.map((i) => [i.product.id, i.quantity]);
const code = (res: Response) => res.errors?.[0]?.extensions?.code;

/** A guest of `url` (default: the shop's gateway) holding a fresh guest cart. */
async function guest(url = shop.gateway.url) {
  const created = await post(url, CREATE, {}, {});
  expect(created.errors).toBeUndefined();
  const { cartToken, cart } = created.data!.createGuestCart!;
  const as = (headers: Record<string, string>) => ({
    call: (query: string, variables: Record<string, unknown> = {}) =>
      post(url, query, variables, headers),
  });
  const me = as({ 'x-cart-token': cartToken });
  return {
    cartToken,
    created: cart,
    call: me.call,
    view: () => me.call(VIEW),
    add: (id: string, q: number) => me.call(ADD, { id, q }),
  };
}

async function signedIn() {
  const userId = uniqueName('shopper');
  const token = await testToken(userId);
  const call = (query: string, variables: Record<string, unknown> = {}, extra = {}) =>
    post(shop.gateway.url, query, variables, { authorization: `Bearer ${token}`, ...extra });
  return { userId, token, call, merge: (t: string) => call(MERGE, { t }) };
}

describe('guest carts through the gateway', () => {
  it('createGuestCart returns a long url-safe random token and an empty cart', async () => {
    const a = await guest();
    const b = await guest();
    expect(a.cartToken).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    // 43 base64url characters are 256 bits; 22 would be the 128-bit minimum.
    expect(Buffer.from(a.cartToken, 'base64url')).toHaveLength(32);
    expect(a.cartToken).not.toBe(b.cartToken);
    expect(a.created).toMatchObject({ totalQuantity: 0, items: [] });
    expect(a.created.updatedAt).not.toBeNull();
    expect(a.created.id).toMatch(/^guest:/);
    expect(a.created.id).not.toContain(a.cartToken);
  });

  it('a guest adds, reads, updates, removes and clears with only X-Cart-Token', async () => {
    const me = await guest();
    await me.add('1', 2);
    const added = await me.add('2', 1);
    expect(added.errors).toBeUndefined();
    expect(lines(added.data?.addToCart)).toEqual([
      ['1', 2],
      ['2', 1],
    ]);
    expect(added.data?.addToCart?.items[0]?.product.name).toBe('Laptop');
    expect(lines((await me.view()).data?.cart)).toEqual([
      ['1', 2],
      ['2', 1],
    ]);
    expect(lines((await me.call(UPDATE, { id: '2', q: 5 })).data?.updateCartItemQuantity)).toEqual([
      ['1', 2],
      ['2', 5],
    ]);
    expect(lines((await me.call(REMOVE, { id: '1' })).data?.removeFromCart)).toEqual([['2', 5]]);
    expect((await me.call(CLEAR)).data?.clearCart?.items).toEqual([]);
    // A cleared guest cart is still the guest's cart.
    expect((await me.view()).errors).toBeUndefined();
  });

  it('the same rules as any cart: a line above 99 is BAD_USER_INPUT and changes nothing', async () => {
    const me = await guest();
    await me.add('1', 98);
    const res = await me.add('1', 2);
    expect(code(res)).toBe('BAD_USER_INPUT');
    expect(lines((await me.view()).data?.cart)).toEqual([['1', 98]]);
  });

  it('stores and caches only a hash of the token, never the token', async () => {
    const me = await guest();
    await me.add('3', 1);
    await me.view();
    const owner = `guest:${createHash('sha256').update(me.cartToken).digest('hex')}`;
    const docs = await shop.cart.mongoClient
      .db()
      .collection(CART_COLLECTION)
      .find({ userId: owner })
      .toArray();
    expect(docs.length).toBeGreaterThan(0);
    const everything = await shop.cart.mongoClient
      .db()
      .collection(CART_COLLECTION)
      .find({})
      .toArray();
    expect(JSON.stringify(everything)).not.toContain(me.cartToken);
    const redis = new Redis(infra.redisUrl);
    try {
      expect(await redis.hget(`cart:${owner}`, 'd')).toContain('"productId":"3"');
      expect(await redis.keys(`*${me.cartToken}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('an unknown or malformed cart token is UNAUTHENTICATED for every cart operation', async () => {
    const unknown = Buffer.alloc(32, 7).toString('base64url');
    for (const token of [unknown, 'short', 'x'.repeat(43) + '!', '']) {
      const headers = { 'x-cart-token': token };
      for (const [query, variables] of [
        [VIEW, {}],
        [ADD, { id: '1', q: 1 }],
        [UPDATE, { id: '1', q: 1 }],
        [REMOVE, { id: '1' }],
        [CLEAR, {}],
      ] as const) {
        const res = await post(shop.gateway.url, query, variables, headers);
        expect({ token, query, code: code(res) }).toEqual({
          token,
          query,
          code: 'UNAUTHENTICATED',
        });
        expect(res.errors?.[0]?.message).toMatch(/cart token|X-Cart-Token/);
      }
    }
  });

  it('a JWT wins over X-Cart-Token: the signed-in cart is read and changed', async () => {
    const g = await guest();
    await g.add('1', 1);
    const me = await signedIn();
    const res = await me.call(ADD, { id: '2', q: 3 }, { 'x-cart-token': g.cartToken });
    expect(res.data?.addToCart?.id).toBe(me.userId);
    expect(lines(res.data?.addToCart)).toEqual([['2', 3]]);
    expect(lines((await g.view()).data?.cart)).toEqual([['1', 1]]);
  });

  it('mergeGuestCart adds the guest lines to the signed-in cart and deletes the guest cart', async () => {
    const g = await guest();
    await g.add('1', 2);
    await g.add('3', 1);
    const me = await signedIn();
    await me.call(ADD, { id: '1', q: 5 });
    await me.call(ADD, { id: '2', q: 1 });
    const merged = await me.merge(g.cartToken);
    expect(merged.errors).toBeUndefined();
    expect(merged.data?.mergeGuestCart?.id).toBe(me.userId);
    expect(lines(merged.data?.mergeGuestCart)).toEqual([
      ['1', 7],
      ['2', 1],
      ['3', 1],
    ]);
    // The guest cart is gone: its token no longer works, and its documents are deleted.
    expect(code(await g.view())).toBe('UNAUTHENTICATED');
    expect(code(await g.add('4', 1))).toBe('UNAUTHENTICATED');
    const owner = `guest:${createHash('sha256').update(g.cartToken).digest('hex')}`;
    expect(
      await shop.cart.mongoClient
        .db()
        .collection(CART_COLLECTION)
        .countDocuments({ userId: owner }),
    ).toBe(0);

    // Merging again (a retry, a second tab) adds nothing and says why.
    const again = await me.merge(g.cartToken);
    expect(code(again)).toBe('NOT_FOUND');
    expect(again.errors?.[0]?.message).toBe('This guest cart was already merged or has expired.');
    expect(lines((await me.call(VIEW)).data?.cart)).toEqual([
      ['1', 7],
      ['2', 1],
      ['3', 1],
    ]);
  });

  it('a merge the rules cannot take merges nothing and names every line that does not fit', async () => {
    const g = await guest();
    await g.add('1', 5);
    await g.add('2', 1);
    // Written past the resolvers, as if the product had left the catalog after it was added.
    const owner = `guest:${createHash('sha256').update(g.cartToken).digest('hex')}`;
    await shop.cart.carts.addItem(owner, '424242', 1);
    const me = await signedIn();
    await me.call(ADD, { id: '1', q: 97 });

    const refused = await me.merge(g.cartToken);
    expect(code(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/Nothing was merged.*1: .*above 99.*424242/);
    expect(refused.errors?.[0]?.extensions?.problems).toEqual([
      expect.objectContaining({ productId: '1', rule: 'QUANTITY_RANGE' }),
      expect.objectContaining({ productId: '424242', rule: 'PRODUCT_EXISTS' }),
    ]);
    // Neither cart changed; the guest can fix theirs and the merge then goes through.
    expect(lines((await me.call(VIEW)).data?.cart)).toEqual([['1', 97]]);
    await g.call(REMOVE, { id: '424242' });
    await g.call(UPDATE, { id: '1', q: 2 });
    const merged = await me.merge(g.cartToken);
    expect(merged.errors).toBeUndefined();
    expect(lines(merged.data?.mergeGuestCart)).toEqual([
      ['1', 99],
      ['2', 1],
    ]);
  });

  it.each(['add', 'delete'] as const)(
    'a merge cut short before its %s step finishes on retry and adds the lines once',
    async (crashAt) => {
      let crash = true;
      const crashing = await shop.withCart(
        {},
        {
          hooks: {
            beforeMergeStep: async (step) => {
              if (crash && step === crashAt) throw new Error('crash');
            },
          },
        },
      );
      const g = await guest(crashing.gateway.url);
      await g.add('1', 2);
      const userId = uniqueName('shopper');
      const auth = { authorization: `Bearer ${await testToken(userId)}` };
      await post(crashing.gateway.url, ADD, { id: '1', q: 1 }, auth);
      const cut = await post(crashing.gateway.url, MERGE, { t: g.cartToken }, auth);
      expect(code(cut)).toBe('INTERNAL_SERVER_ERROR');
      // Sealed: the guest can no longer change what is being merged.
      expect(code(await g.add('2', 1))).toBe('UNAUTHENTICATED');
      crash = false;
      const retried = await post(crashing.gateway.url, MERGE, { t: g.cartToken }, auth);
      expect(retried.errors).toBeUndefined();
      expect(lines(retried.data?.mergeGuestCart)).toEqual([['1', 3]]);
      expect(code(await post(crashing.gateway.url, MERGE, { t: g.cartToken }, auth))).toBe(
        'NOT_FOUND',
      );
    },
  );

  it('merging an unknown token is NOT_FOUND, a malformed one BAD_USER_INPUT, a guest cannot merge', async () => {
    const me = await signedIn();
    const unknown = await me.merge(Buffer.alloc(32, 9).toString('base64url'));
    expect(code(unknown)).toBe('NOT_FOUND');
    expect(code(await me.merge('not-a-token'))).toBe('BAD_USER_INPUT');
    const g = await guest();
    const asGuest = await g.call(MERGE, { t: g.cartToken });
    expect(code(asGuest)).toBe('UNAUTHENTICATED');
  });

  it('a guest cart expires after its retention without a change; a change keeps it alive', async () => {
    // Timed from updatedAt, with a wide margin: on a loaded machine a request takes seconds.
    const retentionMs = 8000;
    const short = await shop.withCart({ GUEST_CART_RETENTION_MS: String(retentionMs) });
    const kept = await guest(short.gateway.url);
    const dropped = await guest(short.gateway.url);
    await dropped.add('1', 1);
    await kept.add('1', 1);
    const keptChanged = Date.now();
    await new Promise((r) => setTimeout(r, retentionMs / 2));
    await kept.add('1', 1); // activity: its retention starts again
    const keptChangedAgain = Date.now();
    await waitFor(async () => code(await dropped.view()) === 'UNAUTHENTICATED', {
      what: 'the untouched guest cart to expire',
      timeoutMs: 4 * retentionMs,
    });
    // Past the first change's expiry, so only the second change can be keeping it.
    const pastFirst = keptChanged + retentionMs + 100 - Date.now();
    if (pastFirst > 0) await new Promise((r) => setTimeout(r, pastFirst));
    const view = await kept.view();
    // Answered before the second change's expiry, or the check below would mean nothing.
    expect(Date.now()).toBeLessThan(keptChangedAgain + retentionMs);
    expect(lines(view.data?.cart)).toEqual([['1', 2]]);
    expect(code(await dropped.add('2', 1))).toBe('UNAUTHENTICATED');
    // The sweep deletes the expired guest cart and leaves the live one.
    expect(await short.cart.sweepExpired()).toBeGreaterThan(0);
    const owners = (
      await short.cart.mongoClient.db().collection(CART_COLLECTION).distinct('userId')
    ).filter((o: string) => o.startsWith('guest:'));
    expect(owners).toEqual([`guest:${createHash('sha256').update(kept.cartToken).digest('hex')}`]);
  });

  it('no log line carries a cart token, wherever a logger was handed one', async () => {
    const g = await guest();
    await g.add('1', 1);
    await post(shop.gateway.url, VIEW, {}, { 'x-cart-token': g.cartToken.slice(1) + 'A' });
    const me = await signedIn();
    await me.merge(g.cartToken);
    await me.merge(g.cartToken);
    // The shapes a request log would take, through the project's logger.
    const logger = createLogger('guest-test', 'trace', {
      write: (line: string) => void logLines.push(line),
    });
    logger.info({ req: { headers: { 'x-cart-token': g.cartToken } } }, 'request');
    logger.info({ request: { variables: { cartToken: g.cartToken } } }, 'operation');
    logger.info({ cartToken: g.cartToken }, 'argument');
    await new Promise((r) => setTimeout(r, 50));
    expect(logLines.join('')).toContain('[redacted]');
    expect(logLines.join('')).not.toContain(g.cartToken);
    expect(logLines.length).toBeGreaterThan(3);
  });
});
