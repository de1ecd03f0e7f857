/**
 * The checkout saga against real servers: PostgreSQL, Kafka, the product and cart services and
 * the inventory and payment stubs, with checkout in-process.
 */
import { formatCents, parseCents } from '@shop/shared';
import { graphqlRequest, testToken, uniqueName } from '@shop/shared/src/testing';
import type { CheckoutService } from '../src/service';
import { checkoutInput, startWorld, submitCheckout, waitFor, type World } from './world';

let world: World;
let checkout: CheckoutService;

beforeAll(async () => {
  world = await startWorld();
  checkout = await world.startCheckout();
}, 120_000);

afterAll(async () => {
  await world?.stop();
});

const newUser = () => uniqueName('buyer');
const charge = (checkoutId: string) => world.payment.book.get(checkoutId);

describe('a successful checkout', () => {
  test('completes, takes the stock for good, charges once and publishes CheckoutCompleted', async () => {
    const user = newUser();
    const before = { p1: world.available('1'), p2: world.available('2') };
    await world.addToCart(user, '1', 2);
    await world.addToCart(user, '2', 1);

    const res = await submitCheckout(checkout.graphqlUrl, user, checkoutInput(uniqueName('key')));
    expect(res.errors).toBeUndefined();
    const session = res.data!.checkout;
    expect(session.status).toBe('COMPLETED');
    expect(session.failureCode).toBeNull();
    expect(session.completedAt).not.toBeNull();
    expect(session.items.map((i) => [i.product.id, i.quantity])).toEqual([
      ['1', 2],
      ['2', 1],
    ]);

    // Prices come from the catalog, and the total is their exact sum.
    const catalog = await graphqlRequest<{
      a: { price: { amount: string } };
      b: { price: { amount: string } };
    }>(
      world.product.graphqlUrl,
      '{ a: product(id: "1") { price { amount } } b: product(id: "2") { price { amount } } }',
    );
    const [p1, p2] = [catalog.data!.a.price.amount, catalog.data!.b.price.amount];
    expect(session.items.map((i) => i.unitPrice.amount)).toEqual([p1, p2]);
    expect(session.total).toEqual({
      amount: formatCents(2 * parseCents(p1) + parseCents(p2)),
      currencyCode: 'USD',
    });

    // Stock: deducted once and confirmed (nothing left reserved).
    expect(world.available('1')).toBe(before.p1 - 2);
    expect(world.available('2')).toBe(before.p2 - 1);
    expect(world.reserved('1')).toBe(0);
    // Money: taken once, for the total.
    const taken = await charge(session.id);
    expect(taken).toMatchObject({ status: 'SUCCEEDED', requests: 1 });
    expect(formatCents(taken!.chargedCents)).toBe(session.total.amount);

    // The event, read back from the topic by a real consumer.
    const [received] = await waitFor(
      () => world.eventsFor(session.id).length > 0 && world.eventsFor(session.id),
      {
        what: 'CheckoutCompleted on the topic',
      },
    );
    expect(received!.key).toBe(user);
    expect(received!.event).toMatchObject({
      eventType: 'CheckoutCompleted',
      version: 1,
      checkoutId: session.id,
      userId: user,
      total: session.total.amount,
      currency: 'USD',
      occurredAt: session.completedAt,
    });
    expect(received!.event.items).toEqual(
      session.items.map((i) => ({
        productId: i.product.id,
        name: i.productName,
        quantity: i.quantity,
        unitPrice: i.unitPrice.amount,
      })),
    );
  });

  test('the owner can read the session back; other users cannot', async () => {
    const user = newUser();
    await world.addToCart(user, '3', 1);
    const { data } = await submitCheckout(
      checkout.graphqlUrl,
      user,
      checkoutInput(uniqueName('key')),
    );
    const id = data!.checkout.id;
    const query = 'query($id: ID!) { checkoutSession(id: $id) { id status } }';

    const mine = await graphqlRequest(checkout.graphqlUrl, query, { id }, await testToken(user));
    expect(mine.data).toEqual({ checkoutSession: { id, status: 'COMPLETED' } });

    const theirs = await graphqlRequest(
      checkout.graphqlUrl,
      query,
      { id },
      await testToken(newUser()),
    );
    expect(theirs.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const anonymous = await graphqlRequest(checkout.graphqlUrl, query, { id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const unknown = await graphqlRequest(
      checkout.graphqlUrl,
      query,
      { id: '00000000-0000-4000-8000-000000000000' },
      await testToken(user),
    );
    expect(unknown.data).toEqual({ checkoutSession: null });
  });

  test('as an entity, a session resolves for its owner and to null for anyone else', async () => {
    const user = newUser();
    await world.addToCart(user, '4', 1);
    const { data } = await submitCheckout(
      checkout.graphqlUrl,
      user,
      checkoutInput(uniqueName('key')),
    );
    const id = data!.checkout.id;
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on CheckoutSession { id status } } }`;
    const representations = [{ __typename: 'CheckoutSession', id }];

    const mine = await graphqlRequest(
      checkout.graphqlUrl,
      query,
      { r: representations },
      await testToken(user),
    );
    expect(mine.data).toEqual({ _entities: [{ id, status: 'COMPLETED' }] });
    const theirs = await graphqlRequest(
      checkout.graphqlUrl,
      query,
      { r: representations },
      await testToken(newUser()),
    );
    expect(theirs.data).toEqual({ _entities: [null] });
  });
});

describe('a failed checkout is a session, not an error', () => {
  test('insufficient stock: FAILED with INSUFFICIENT_STOCK, nothing reserved or charged', async () => {
    const user = newUser();
    await world.addToCart(user, '5', 3);
    world.setStock('5', 2);
    const res = await submitCheckout(checkout.graphqlUrl, user, checkoutInput(uniqueName('key')));
    expect(res.errors).toBeUndefined();
    const session = res.data!.checkout;
    expect(session.status).toBe('FAILED');
    expect(session.failureCode).toBe('INSUFFICIENT_STOCK');
    expect(session.failureReason).toMatch(/only 2 left, you asked for 3/);
    expect(world.available('5')).toBe(2);
    expect(world.reserved('5')).toBe(0);
    expect(await charge(session.id)).toBeUndefined();
  });

  test('declined payment: FAILED with PAYMENT_DECLINED and the stock given back', async () => {
    const user = newUser();
    await world.addToCart(user, '6', 4);
    const before = world.available('6');
    const res = await submitCheckout(
      checkout.graphqlUrl,
      user,
      checkoutInput(uniqueName('key'), { paymentMethod: 'card_declined' }),
    );
    const session = res.data!.checkout;
    expect(session).toMatchObject({ status: 'FAILED', failureCode: 'PAYMENT_DECLINED' });
    expect(session.failureReason).toMatch(/declined/);
    expect(world.available('6')).toBe(before);
    expect(world.reserved('6')).toBe(0);
    expect(await charge(session.id)).toMatchObject({ status: 'DECLINED', chargedCents: 0 });
    expect(world.eventsFor(session.id)).toEqual([]);
  });
});

describe('idempotency', () => {
  test('the same key and request again returns the same session, without a second charge', async () => {
    const user = newUser();
    await world.addToCart(user, '7', 1);
    const input = checkoutInput(uniqueName('key'));
    const first = await submitCheckout(checkout.graphqlUrl, user, input);
    const before = world.available('7');
    // The cart is emptied by the cart service in production; a retry must not care either way.
    await world.addToCart(user, '8', 5);
    const again = await submitCheckout(checkout.graphqlUrl, user, input);
    expect(again.data!.checkout).toEqual(first.data!.checkout);
    expect(world.available('7')).toBe(before);
    expect(await charge(first.data!.checkout.id)).toMatchObject({ requests: 1 });
  });

  test('the same key with another address or payment method is CONFLICT', async () => {
    const user = newUser();
    await world.addToCart(user, '9', 1);
    const key = uniqueName('key');
    await submitCheckout(checkout.graphqlUrl, user, checkoutInput(key));
    const otherAddress = await submitCheckout(
      checkout.graphqlUrl,
      user,
      checkoutInput(key, { name: 'Someone Else' }),
    );
    expect(otherAddress.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const otherCard = await submitCheckout(
      checkout.graphqlUrl,
      user,
      checkoutInput(key, { paymentMethod: 'card_declined' }),
    );
    expect(otherCard.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  test('the same key used by two users is two checkouts', async () => {
    const key = uniqueName('shared-key');
    const [a, b] = [newUser(), newUser()];
    await world.addToCart(a, '10', 1);
    await world.addToCart(b, '10', 1);
    const [ra, rb] = await Promise.all([
      submitCheckout(checkout.graphqlUrl, a, checkoutInput(key)),
      submitCheckout(checkout.graphqlUrl, b, checkoutInput(key)),
    ]);
    expect(ra.data!.checkout.status).toBe('COMPLETED');
    expect(rb.data!.checkout.status).toBe('COMPLETED');
    expect(ra.data!.checkout.id).not.toBe(rb.data!.checkout.id);
  });
});

describe('bad input is BAD_USER_INPUT, and nothing is created', () => {
  test('an empty cart', async () => {
    const res = await submitCheckout(
      checkout.graphqlUrl,
      newUser(),
      checkoutInput(uniqueName('key')),
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/cart is empty/);
  });

  test.each([
    ['an empty idempotency key', { idempotencyKey: '' }, /idempotencyKey/],
    ['a key with spaces', { idempotencyKey: 'a b' }, /idempotencyKey/],
    ['a blank name', { shippingAddress: { name: '  ' } }, /shippingAddress.name/],
    ['a bad country', { shippingAddress: { country: 'England' } }, /country/],
    ['a bad postal code', { shippingAddress: { postalCode: '!' } }, /postalCode/],
    ['an unknown payment token format', { paymentMethod: '4242 4242 4242 4242' }, /paymentMethod/],
  ])('%s', async (_what, change, message) => {
    const user = newUser();
    await world.addToCart(user, '11', 1);
    const base = checkoutInput(uniqueName('key'));
    const input = {
      ...base,
      ...change,
      shippingAddress: {
        ...base.shippingAddress,
        ...(change as { shippingAddress?: object }).shippingAddress,
      },
    };
    const res = await submitCheckout(checkout.graphqlUrl, user, input);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(message);
  });

  test('no token is UNAUTHENTICATED', async () => {
    const res = await graphqlRequest(
      checkout.graphqlUrl,
      'mutation($i: CheckoutInput!) { checkout(input: $i) { id } }',
      {
        i: checkoutInput('k'),
      },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
