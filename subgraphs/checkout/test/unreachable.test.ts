/**
 * A stub that cannot be reached, or answers too late, fails the checkout cleanly: the session
 * is FAILED with a code saying which, held stock goes back, and a charge that did go through
 * is refunded.
 */
import { Client } from 'pg';
import pino from 'pino';
import {
  createPaymentServer,
  loadPaymentConfig,
  type PaymentServer,
} from '@shop/internal-grpc/stubs';
import { uniqueName } from '@shop/shared/src/testing';
import { checkoutInput, startWorld, submitCheckout, waitFor, type World } from './world';

/** Nothing listens on port 1. */
const NOWHERE = '127.0.0.1:1';

let world: World;
let slowPayment: PaymentServer;

beforeAll(async () => {
  world = await startWorld();
  slowPayment = await createPaymentServer(
    loadPaymentConfig({
      GRPC_PORT: '0',
      PAYMENT_DELAY_MIN_MS: '1500',
      PAYMENT_DELAY_MAX_MS: '1500',
      PAYMENT_SUCCESS_RATE: '1',
    }),
    { logger: pino({ level: 'silent' }) },
  );
}, 120_000);

afterAll(async () => {
  await slowPayment?.stop();
  await world?.stop();
});

async function owed(checkoutId: string) {
  const db = new Client({ connectionString: world.postgresUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ release_pending: boolean; refund_pending: boolean }>(
      'SELECT release_pending, refund_pending FROM checkout_sessions WHERE id = $1',
      [checkoutId],
    );
    return rows[0];
  } finally {
    await db.end();
  }
}

test('payment unreachable: FAILED with PAYMENT_UNAVAILABLE and the stock given back', async () => {
  const checkout = await world.startCheckout({ PAYMENT_GRPC_URL: NOWHERE });
  const user = uniqueName('buyer');
  await world.addToCart(user, '14', 2);
  const before = world.available('14');

  const res = await submitCheckout(checkout.graphqlUrl, user, checkoutInput(uniqueName('key')));
  expect(res.errors).toBeUndefined();
  expect(res.data!.checkout).toMatchObject({
    status: 'FAILED',
    failureCode: 'PAYMENT_UNAVAILABLE',
  });
  expect(world.available('14')).toBe(before);
  expect(world.reserved('14')).toBe(0);
  expect(world.eventsFor(res.data!.checkout.id)).toEqual([]);
  // The refund of a charge that may have happened stays owed until payment answers.
  expect(await owed(res.data!.checkout.id)).toEqual({
    release_pending: false,
    refund_pending: true,
  });
  // Its recovery loop would otherwise keep claiming the later tests' sessions (all instances
  // share one database) and retry their refunds against an unreachable payment service.
  await checkout.stop();
});

test('inventory unreachable: FAILED with INVENTORY_UNAVAILABLE and nothing charged', async () => {
  const checkout = await world.startCheckout({ INVENTORY_GRPC_URL: NOWHERE });
  const user = uniqueName('buyer');
  await world.addToCart(user, '15', 1);

  const res = await submitCheckout(checkout.graphqlUrl, user, checkoutInput(uniqueName('key')));
  expect(res.data!.checkout).toMatchObject({
    status: 'FAILED',
    failureCode: 'INVENTORY_UNAVAILABLE',
  });
  expect(await world.payment.book.get(res.data!.checkout.id)).toBeUndefined();
  await checkout.stop();
});

test('a charge that outlives its deadline is refunded once payment answers', async () => {
  const checkout = await world.startCheckout({
    PAYMENT_GRPC_URL: slowPayment.address,
    PAYMENT_DEADLINE_MS: '300',
  });
  const user = uniqueName('buyer');
  await world.addToCart(user, '16', 1);
  const before = world.available('16');

  const res = await submitCheckout(checkout.graphqlUrl, user, checkoutInput(uniqueName('key')));
  const id = res.data!.checkout.id;
  expect(res.data!.checkout).toMatchObject({
    status: 'FAILED',
    failureCode: 'PAYMENT_UNAVAILABLE',
  });
  expect(world.available('16')).toBe(before);

  // The stub took the money after checkout gave up; compensation (retried by recovery once the
  // first Refund also timed out) gives it back, exactly once.
  await waitFor(async () => (await slowPayment.book.get(id))?.status === 'REFUNDED', {
    what: 'the late charge to be refunded',
    timeoutMs: 20_000,
  });
  await waitFor(async () => (await owed(id))?.refund_pending === false, {
    what: 'the refund to be recorded',
    timeoutMs: 20_000,
  });
  expect(await slowPayment.book.get(id)).toMatchObject({ requests: 1 });
});
