/**
 * Pulling the plug: a real checkout process (`npx tsx subgraphs/checkout/src/index.ts`) is told
 * to SIGKILL itself at one point of the saga (CHECKOUT_CRASH_AT, test only), once per point.
 * A fresh process then starts, and its recovery loop must leave every session final with no
 * stranded reservation, no double charge and exactly one CheckoutCompleted per completed
 * checkout; a client retrying with the same key gets the same session back.
 */
import { Client } from 'pg';
import { formatCents, parseCents } from '@shop/shared';
import { uniqueName } from '@shop/shared/src/testing';
import { CRASH_POINTS, type CrashPoint } from '../src/config';
import {
  checkoutInput,
  submitCheckout,
  startWorld,
  waitFor,
  type CheckoutProcess,
  type World,
} from './world';

interface Case {
  point: CrashPoint;
  user: string;
  productId: string;
  quantity: number;
  availableBefore: number;
  input: ReturnType<typeof checkoutInput>;
  /** Where the killed process was when it died (the session row as it left it). */
  statusAtCrash?: string;
}

/** The FAILED point needs a checkout that fails: a declined card. */
const paymentMethodFor = (point: CrashPoint) => (point === 'FAILED' ? 'card_declined' : 'card_ok');

let world: World;
let db: Client;
let survivor: CheckoutProcess;
let survivorUrl: string;
const cases: Case[] = [];
/** A crash at PAYMENT_PENDING finished by the shopper's retry, not by the recovery loop. */
let takeover: { case: Case; retried: Awaited<ReturnType<typeof submitCheckout>> };

async function sessionOf(user: string) {
  const { rows } = await db.query<{
    id: string;
    status: string;
    total_amount: string;
    release_pending: boolean;
    refund_pending: boolean;
  }>(
    'SELECT id, status, total_amount::text, release_pending, refund_pending FROM checkout_sessions WHERE user_id = $1',
    [user],
  );
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

beforeAll(async () => {
  world = await startWorld();
  db = new Client({ connectionString: world.postgresUrl });
  await db.connect();

  async function crashAt(point: CrashPoint, productId: string): Promise<Case> {
    const c: Case = {
      point,
      user: uniqueName(`crash-${point}`),
      productId,
      quantity: 2,
      availableBefore: world.available(productId),
      input: checkoutInput(uniqueName('key'), { paymentMethod: paymentMethodFor(point) }),
    };
    await world.addToCart(c.user, productId, c.quantity);
    // Recovery off: the crashing process must not pick up an earlier case's session.
    const doomed = world.spawnCheckout({ CHECKOUT_CRASH_AT: point, RECOVERY_ENABLED: 'false' });
    const url = await doomed.ready;
    const response = submitCheckout(url, c.user, c.input).catch((err: unknown) => err);
    const exit = await doomed.exited;
    if (exit.signal !== 'SIGKILL') {
      throw new Error(
        `process for ${point} did not crash (${JSON.stringify(exit)}):\n${doomed.output()}`,
      );
    }
    // The client lost its answer (fetch's TypeError comes from another realm: no instanceof).
    expect(await response).toHaveProperty('message', 'fetch failed');
    c.statusAtCrash = (await sessionOf(c.user))?.status;
    return c;
  }

  // One process per crash point, one at a time: each runs a checkout until it kills itself.
  for (const [i, point] of CRASH_POINTS.entries()) cases.push(await crashAt(point, String(17 + i)));

  // The shopper retries before any recovery loop runs: the process that takes the retry must
  // take the session over itself once the dead process's lease runs out.
  const orphan = await crashAt('PAYMENT_PENDING', '27');
  const noRecovery = await world.startCheckout({ RECOVERY_ENABLED: 'false' });
  takeover = {
    case: orphan,
    retried: await submitCheckout(noRecovery.graphqlUrl, orphan.user, orphan.input),
  };

  survivor = world.spawnCheckout();
  survivorUrl = await survivor.ready;
}, 300_000);

afterAll(async () => {
  await survivor?.kill();
  await db?.end();
  await world?.stop();
});

test('each crash left the session where the crash point says', () => {
  expect(Object.fromEntries(cases.map((c) => [c.point, c.statusAtCrash]))).toEqual({
    INITIATED: 'INITIATED',
    AFTER_RESERVE: 'INITIATED',
    INVENTORY_RESERVED: 'INVENTORY_RESERVED',
    PAYMENT_PENDING: 'PAYMENT_PENDING',
    AFTER_CHARGE: 'PAYMENT_PENDING',
    PAYMENT_COMPLETED: 'PAYMENT_COMPLETED',
    AFTER_CONFIRM: 'PAYMENT_COMPLETED',
    COMPLETED: 'COMPLETED',
    FAILED: 'FAILED',
  });
});

describe.each(CRASH_POINTS.filter((p) => p !== 'FAILED'))('killed at %s', (point) => {
  const theCase = () => cases.find((c) => c.point === point)!;

  test('recovery completes it: stock sold once, charged once, one event (a redelivery is the same event)', async () => {
    const c = theCase();
    const session = await waitFor(
      async () => {
        const s = await sessionOf(c.user);
        return s?.status === 'COMPLETED' ? s : undefined;
      },
      { what: `recovery of the ${point} session`, timeoutMs: 30_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- survivor output ---\n${survivor.output()}`);
    });
    expect(world.available(c.productId)).toBe(c.availableBefore - c.quantity);
    expect(world.reserved(c.productId)).toBe(0);
    const charge = await world.payment.book.get(session.id);
    expect(charge?.status).toBe('SUCCEEDED');
    expect(charge?.chargedCents).toBe(parseCents(session.total_amount));
    await waitFor(() => world.eventsFor(session.id).length > 0, { what: 'the event' });
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive by now
    // One event. The relay is at least once (shared/src/outbox/relay.ts): a kill that lands
    // after Kafka acked the dying process's publish but before its relay committed the row as
    // processed has the recovering process publish it again, and consumers drop the copy by its
    // event id. So a copy may arrive, but only of the same event: never a second event.
    const delivered = world.eventsFor(session.id);
    expect(new Set(delivered.map((d) => d.event.eventId)).size).toBe(1);
    expect(delivered.length).toBeLessThanOrEqual(2);
    expect(delivered[0]?.event.total).toBe(formatCents(charge!.chargedCents));

    // The shopper's retry (same key) gets the same, completed session.
    const retry = await submitCheckout(survivorUrl, c.user, c.input);
    expect(retry.data?.checkout).toMatchObject({ id: session.id, status: 'COMPLETED' });
    expect((await world.payment.book.get(session.id))?.chargedCents).toBe(charge?.chargedCents);
  });
});

test("the shopper's retry takes over a dead process's session without waiting for recovery", async () => {
  const { case: c, retried } = takeover;
  expect(c.statusAtCrash).toBe('PAYMENT_PENDING');
  expect(retried.errors).toBeUndefined();
  expect(retried.data?.checkout.status).toBe('COMPLETED');
  const id = retried.data!.checkout.id;
  expect((await sessionOf(c.user))?.id).toBe(id);
  expect(await world.payment.book.get(id)).toMatchObject({ status: 'SUCCEEDED', requests: 1 });
  expect(world.available(c.productId)).toBe(c.availableBefore - c.quantity);
});

test('killed after FAILED, before compensating: recovery gives the stock back', async () => {
  const c = cases.find((x) => x.point === 'FAILED')!;
  const session = await waitFor(
    async () => {
      const s = await sessionOf(c.user);
      return s && !s.release_pending && !s.refund_pending ? s : undefined;
    },
    { what: 'the compensation', timeoutMs: 30_000 },
  );
  expect(session.status).toBe('FAILED');
  expect(world.available(c.productId)).toBe(c.availableBefore);
  expect(world.reserved(c.productId)).toBe(0);
  expect(await world.payment.book.get(session.id)).toMatchObject({
    status: 'DECLINED',
    chargedCents: 0,
  });
  expect(world.eventsFor(session.id)).toEqual([]);
  const retry = await submitCheckout(survivorUrl, c.user, c.input);
  expect(retry.data?.checkout).toMatchObject({ id: session.id, failureCode: 'PAYMENT_DECLINED' });
});
