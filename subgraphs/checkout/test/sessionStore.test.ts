import { runMigrations } from '@shop/shared';
import { createTestDatabase, uniqueName } from '@shop/shared/src/testing';
import { MIGRATIONS_DIR } from '../src/data/migrations';
import { createCheckoutDatabase, type CheckoutDatabase } from '../src/data/prismaClient';
import { createSessionStore, LeaseLostError, type NewSession } from '../src/data/sessionStore';

/**
 * The saga's insert, its look-up by key, its step writes and its completion are one statement
 * each, sent through pg rather than Prisma (sessionStore.ts, `insert`, `findByKey`, `advance`,
 * `complete`): they must return exactly the row Prisma reads back and keep the status and lease guard; the completion
 * writes its outbox event with it, once. The saga's behaviour under crashes, duplicates and
 * races is in the other checkout suites, which run on the same store.
 */
describe('sessionStore: the saga steps (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: CheckoutDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('checkout_store');
    await runMigrations({ dir: MIGRATIONS_DIR, postgresUrl: db.url });
    database = createCheckoutDatabase(db.url, 4);
  });
  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  const newSession = (): NewSession => ({
    userId: uniqueName('buyer'),
    idempotencyKey: uniqueName('key'),
    requestFingerprint: 'f'.repeat(64),
    items: [{ productId: '1', name: 'Laptop', quantity: 1, unitPrice: '1299.99' }],
    total: '1299.99',
    currency: 'USD',
    shippingAddress: {
      name: 'A Buyer',
      line1: '1 Main St',
      line2: null,
      city: 'Springfield',
      postalCode: '12345',
      country: 'US',
    },
    paymentMethod: 'card',
  });
  const read = (id: string) => database.prisma.checkoutSession.findUniqueOrThrow({ where: { id } });

  it('inserts a session and finds it by key as Prisma reads it; a second insert of the key writes nothing', async () => {
    const store = createSessionStore(database, { leaseMs: 30_000 });
    const session = newSession();
    const created = (await store.insert(session))!;
    expect(created).toEqual(await read(created.id));
    expect(created).toMatchObject({
      status: 'INITIATED',
      userId: session.userId,
      cartSnapshot: session.items,
      shippingAddress: session.shippingAddress,
      leaseOwner: store.owner,
    });
    expect(created.totalAmount.toString()).toBe('1299.99');
    expect(await store.findByKey(session.userId, session.idempotencyKey)).toEqual(created);
    expect(await store.findByKey(session.userId, uniqueName('other-key'))).toBeNull();
    // The same user and key again (a concurrent submission): nothing written, the first stays.
    expect(await store.insert({ ...session, total: '1.00' })).toBeUndefined();
    expect(
      await database.prisma.checkoutSession.count({
        where: { userId: session.userId, idempotencyKey: session.idempotencyKey },
      }),
    ).toBe(1);
  });

  it('moves a session step by step and returns the row as Prisma reads it', async () => {
    const store = createSessionStore(database, { leaseMs: 30_000 });
    const created = (await store.insert(newSession()))!;
    const reserved = await store.advance(created.id, 'INITIATED', 'INVENTORY_RESERVED', {
      inventoryReservationId: 'res-1',
    });
    expect(reserved).toEqual(await read(created.id));
    expect(reserved.inventoryReservationId).toBe('res-1');
    expect(reserved.leaseOwner).toBe(store.owner);
    const pending = await store.advance(created.id, 'INVENTORY_RESERVED', 'PAYMENT_PENDING');
    expect(pending.inventoryReservationId).toBe('res-1'); // an absent field is left as it was
    const paid = await store.advance(created.id, 'PAYMENT_PENDING', 'PAYMENT_COMPLETED', {
      paymentId: 'pay-1',
    });
    expect(paid).toEqual(await read(created.id));
    expect(paid.totalAmount.toString()).toBe('1299.99');
    expect(paid.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
  });

  it('refuses a step from the wrong status or without the lease, and changes nothing', async () => {
    const store = createSessionStore(database, { leaseMs: 30_000 });
    const other = createSessionStore(database, { leaseMs: 30_000 });
    const created = (await store.insert(newSession()))!;
    await expect(
      store.advance(created.id, 'PAYMENT_PENDING', 'PAYMENT_COMPLETED'),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await expect(
      other.advance(created.id, 'INITIATED', 'INVENTORY_RESERVED'),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await read(created.id)).toEqual(created);
  });

  it('completes with its outbox event, once', async () => {
    const store = createSessionStore(database, { leaseMs: 30_000 });
    const created = (await store.insert(newSession()))!;
    await store.advance(created.id, 'INITIATED', 'INVENTORY_RESERVED', {
      inventoryReservationId: 'res-2',
    });
    await store.advance(created.id, 'INVENTORY_RESERVED', 'PAYMENT_PENDING');
    await store.advance(created.id, 'PAYMENT_PENDING', 'PAYMENT_COMPLETED', {
      paymentId: 'pay-2',
    });
    const completedAt = new Date();
    const message = {
      eventType: 'CheckoutCompleted',
      topic: 'checkout-events',
      key: created.userId,
      payload: { checkoutId: created.id, total: '1299.99' },
    };
    const completed = await store.complete(created.id, completedAt, message);
    expect(completed).toEqual(await read(created.id));
    expect(completed).toMatchObject({ status: 'COMPLETED', completedAt, leaseOwner: null });
    const events = () =>
      database.prisma.outboxEvent.findMany({ where: { aggregateId: created.id } });
    expect(await events()).toEqual([
      expect.objectContaining({
        eventType: 'CheckoutCompleted',
        topic: 'checkout-events',
        messageKey: created.userId,
        payload: message.payload,
        processedAt: null,
      }),
    ]);
    // A second completion (a retry after a lost answer, or another process): refused, and
    // still exactly one event.
    await expect(store.complete(created.id, new Date(), message)).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect(await events()).toHaveLength(1);
  });
});
