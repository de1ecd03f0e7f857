/**
 * The cart API through the gateway, as a shopper uses it: real product service (catalog over
 * gRPC, product fields over federation), cart service on FerretDB and Redis, the gateway.
 */
import net from 'node:net';
import { graphqlRequest, testToken, uniqueName } from '@shop/shared/src/testing';
import { catalogLookups, counterValue } from '../src/metrics';
import { startShop, type Shop } from './shop';

const CART = /* GraphQL */ `
  fragment Full on Cart {
    id
    totalQuantity
    updatedAt
    subtotal {
      amount
      currencyCode
    }
    items {
      product {
        id
        name
        price {
          amount
          currencyCode
        }
      }
      quantity
      addedAt
      lineTotal {
        amount
        currencyCode
      }
    }
  }
`;
const VIEW = `${CART} query { cart { ...Full } }`;
const ADD = `${CART} mutation ($id: ID!, $q: Int!) { addToCart(productId: $id, quantity: $q) { ...Full } }`;
const UPDATE = `${CART} mutation ($id: ID!, $q: Int!) { updateCartItemQuantity(productId: $id, quantity: $q) { ...Full } }`;
const REMOVE = `${CART} mutation ($id: ID!) { removeFromCart(productId: $id) { ...Full } }`;
const CLEAR = `${CART} mutation { clearCart { ...Full } }`;

interface FullCart {
  id: string;
  totalQuantity: number;
  updatedAt: string | null;
  subtotal: { amount: string; currencyCode: string };
  items: {
    product: { id: string; name: string; price: { amount: string } };
    quantity: number;
    addedAt: string;
    lineTotal: { amount: string; currencyCode: string };
  }[];
}
type Op = 'cart' | 'addToCart' | 'updateCartItemQuantity' | 'removeFromCart' | 'clearCart';

let shop: Shop;

beforeAll(async () => {
  shop = await startShop();
});

afterAll(async () => {
  await shop?.stop();
});

async function shopper() {
  const userId = uniqueName('shopper');
  const token = await testToken(userId);
  const call = async (op: Op, query: string, variables: Record<string, unknown> = {}) => {
    const res = await graphqlRequest<Record<Op, FullCart>>(
      shop.gateway.url,
      query,
      variables,
      token,
    );
    return { cart: res.data?.[op], errors: res.errors };
  };
  return {
    userId,
    token,
    view: () => call('cart', VIEW),
    add: (id: string, q: number) => call('addToCart', ADD, { id, q }),
    update: (id: string, q: number) => call('updateCartItemQuantity', UPDATE, { id, q }),
    remove: (id: string) => call('removeFromCart', REMOVE, { id }),
    clear: () => call('clearCart', CLEAR),
  };
}

const lines = (cart: FullCart | undefined) =>
  cart?.items.map((i) => [i.product.id, i.quantity, i.lineTotal.amount]);

describe('cart through the gateway', () => {
  it('an empty cart, then adds: products resolve through federation and money is exact', async () => {
    const me = await shopper();
    const empty = await me.view();
    expect(empty.errors).toBeUndefined();
    expect(empty.cart).toEqual({
      id: me.userId,
      totalQuantity: 0,
      updatedAt: null,
      subtotal: { amount: '0.00', currencyCode: 'USD' },
      items: [],
    });

    await me.add('1', 2); // Laptop 1299.99
    const { cart, errors } = await me.add('2', 3); // Mouse 29.99
    expect(errors).toBeUndefined();
    expect(cart?.items.map((i) => i.product.name)).toEqual(['Laptop', 'Mouse']);
    expect(lines(cart)).toEqual([
      ['1', 2, '2599.98'],
      ['2', 3, '89.97'],
    ]);
    expect(cart?.subtotal).toEqual({ amount: '2689.95', currencyCode: 'USD' });
    expect(cart?.totalQuantity).toBe(5);
    expect(Date.parse(cart!.updatedAt!)).toBeGreaterThanOrEqual(
      Date.parse(cart!.items[0]!.addedAt),
    );

    // Adding more of a product adds to its line and keeps when it was first added.
    const more = await me.add('1', 1);
    expect(lines(more.cart)?.[0]).toEqual(['1', 3, '3899.97']);
    expect(more.cart?.items[0]?.addedAt).toBe(cart?.items[0]?.addedAt);
    expect((await me.view()).cart).toEqual(more.cart);
  });

  it('updates a quantity, removes a line and clears the cart', async () => {
    const me = await shopper();
    await me.add('3', 1);
    await me.add('4', 1);
    expect(lines((await me.update('3', 4)).cart)).toEqual([
      ['3', 4, '359.96'],
      ['4', 1, '399.99'],
    ]);
    expect(lines((await me.remove('3')).cart)).toEqual([['4', 1, '399.99']]);
    expect(lines((await me.remove('3')).cart)).toEqual([['4', 1, '399.99']]); // no-op
    const cleared = await me.clear();
    expect(cleared.cart).toMatchObject({
      items: [],
      totalQuantity: 0,
      subtotal: { amount: '0.00' },
    });
    expect((await me.view()).cart?.items).toEqual([]);
  });

  it('each shopper sees and changes only their own cart; no token, no cart', async () => {
    const alice = await shopper();
    const bob = await shopper();
    await alice.add('5', 1);
    expect((await bob.view()).cart?.items).toEqual([]);
    await bob.clear();
    expect(lines((await alice.view()).cart)).toEqual([['5', 1, '249.99']]);

    const anonymous = await graphqlRequest(shop.gateway.url, VIEW);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await graphqlRequest(
      shop.gateway.url,
      VIEW,
      {},
      await testToken('x', { secret: 'another-secret-that-is-long-enough-123' }),
    );
    expect(forged.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('every rule is a BAD_USER_INPUT error that names it, and changes nothing', async () => {
    const me = await shopper();
    await me.add('1', 98);
    const cases: [
      Promise<{ errors?: { message: string; extensions?: Record<string, unknown> }[] }>,
      string,
      RegExp,
    ][] = [
      [me.add('999999', 1), 'PRODUCT_EXISTS', /does not exist in the catalog/],
      [me.add('2', 0), 'QUANTITY_RANGE', /between 1 and 99/],
      [me.add('2', 100), 'QUANTITY_RANGE', /between 1 and 99/],
      [me.add('1', 2), 'QUANTITY_RANGE', /at most 1 more/],
      [me.update('1', 100), 'QUANTITY_RANGE', /between 1 and 99/],
      [me.add('a.b', 1), 'PRODUCT_EXISTS', /not a product id/],
    ];
    for (const [call, rule, message] of cases) {
      const { errors } = await call;
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', rule });
      expect(errors?.[0]?.message).toMatch(message);
    }
    const missing = await me.update('2', 1);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(lines((await me.view()).cart)).toEqual([['1', 98, '127399.02']]);
  });

  it('20 parallel addToCart of one product add 20', async () => {
    const me = await shopper();
    const results = await Promise.all(Array.from({ length: 20 }, () => me.add('6', 1)));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(lines((await me.view()).cart)).toEqual([['6', 20, '1599.80']]);
  });

  it('prices every line and the subtotal with one catalog lookup per request', async () => {
    const me = await shopper();
    for (const id of ['1', '2', '3', '4', '5', '6', '7']) await me.add(id, 1);
    await me.view(); // the cart itself is now cached

    let before = await counterValue(catalogLookups);
    const viewed = await me.view();
    expect(viewed.cart?.items).toHaveLength(7);
    expect(await counterValue(catalogLookups)).toBe(before + 1);

    before = await counterValue(catalogLookups);
    const added = await me.add('8', 1); // validation and all 8 prices: still one lookup
    expect(added.cart?.items).toHaveLength(8);
    expect(await counterValue(catalogLookups)).toBe(before + 1);
  });

  it('a product gone from the catalog is named in a NOT_FOUND error and can still be removed', async () => {
    const me = await shopper();
    await me.add('1', 1);
    // Written past the resolvers, as if the product had been deleted after it was added.
    await shop.cart.carts.addItem(me.userId, '424242', 1);
    const view = await me.view();
    expect(view.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(view.errors?.[0]?.message).toMatch(/424242 .*removeFromCart/);
    expect(lines((await me.remove('424242')).cart)).toEqual([['1', 1, '1299.99']]);
  });

  it('a catalog that is down or too slow is SERVICE_UNAVAILABLE, never a silent accept', async () => {
    // Nothing listens here: the catalog is down.
    const down = await shop.withCart({ PRODUCT_GRPC_URL: '127.0.0.1:1' });
    // This one accepts connections and never answers: the deadline has to end the call.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => void sockets.add(socket)).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const slow = await shop.withCart({
      PRODUCT_GRPC_URL: `127.0.0.1:${port}`,
      PRODUCT_GRPC_DEADLINE_MS: '300',
    });
    try {
      const token = await testToken(uniqueName('shopper'));
      for (const { gateway } of [down, slow]) {
        const res = await graphqlRequest(gateway.url, ADD, { id: '1', q: 1 }, token);
        expect(res.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
        expect(res.errors?.[0]?.message).toMatch(/product catalog is not answering/);
        const view = await graphqlRequest<{ cart: { totalQuantity: number } }>(
          gateway.url,
          'query { cart { totalQuantity } }',
          {},
          token,
        );
        expect(view.data?.cart.totalQuantity).toBe(0); // nothing was added
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
