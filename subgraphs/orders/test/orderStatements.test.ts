import { runMigrations } from '@shop/shared';
import { createTestDatabase, uniqueName } from '@shop/shared/src/testing';
import { MIGRATIONS_DIR } from '../src/data/migrations';
import { openOrderStatements, type OrderStatements } from '../src/data/orderStatements';
import { OrderStore } from '../src/data/orderStore';
import { createOrdersPrisma, type OrdersPrisma } from '../src/data/prismaClient';
import { checkoutCompleted } from './support';

/**
 * The statements without Prisma must return exactly what Prisma returned (the resolvers take
 * either), read what was just written, page the same way, and write a status change exactly
 * as the Prisma transaction did: order, history row and outbox event, all or nothing.
 */
describe('orderStatements: the hot paths on prepared pg statements (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let prisma: OrdersPrisma;
  let reads: OrderStatements;
  let viaPrisma: OrderStore;
  let viaReads: OrderStore;

  beforeAll(async () => {
    db = await createTestDatabase('orders_reads');
    await runMigrations({ dir: MIGRATIONS_DIR, postgresUrl: db.url });
    prisma = createOrdersPrisma(db.url);
    reads = openOrderStatements(db.url);
    viaPrisma = new OrderStore(prisma, 'unused');
    viaReads = new OrderStore(prisma, 'unused', reads);
  });

  afterAll(async () => {
    await reads.close();
    await prisma.$disconnect();
    await db.drop();
  });

  it('returns the rows Prisma returns, field for field, and an order the moment it is written', async () => {
    const userId = uniqueName('reader');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await viaPrisma.createFromCheckout(checkoutCompleted({ userId }));
      if (!result.created) throw new Error('expected a new order');
      ids.push(result.order.id);
      // Written by Prisma's pool, read at once on the other pool: nothing in between caches.
      const page = await viaReads.listForUser(userId, 10);
      expect(page[0]?.id).toBe(result.order.id);
      expect(page).toHaveLength(i + 1);
    }
    // Cancelled with a refund, so the nullable BIGINT and timestamp columns hold values too.
    await prisma.order.update({
      where: { id: ids[0]! },
      data: {
        status: 'CANCELLED',
        refundStatus: 'PENDING',
        refundAmountCents: 4448n,
        refundRequestedAt: new Date(),
      },
    });
    expect(await viaReads.listForUser(userId, 10)).toEqual(await viaPrisma.listForUser(userId, 10));
    expect(await viaReads.itemsOfOrders(ids)).toEqual(await viaPrisma.itemsOfOrders(ids));
    const [item] = await viaReads.itemsOfOrders(ids);
    expect(typeof item?.unitPriceCents).toBe('bigint');
    expect(await viaReads.itemsOfOrders([])).toEqual([]);
  });

  it('pages by cursor exactly like Prisma: the same rows after the same order', async () => {
    const userId = uniqueName('pager');
    for (let i = 0; i < 5; i++) await viaPrisma.createFromCheckout(checkoutCompleted({ userId }));
    const first = await viaReads.listForUser(userId, 2);
    const cursor = { createdAt: first[1]!.createdAt, id: first[1]!.id };
    const next = await viaReads.listForUser(userId, 10, cursor);
    expect(next).toEqual(await viaPrisma.listForUser(userId, 10, cursor));
    expect(next).toHaveLength(3);
    expect(next.map((o) => o.id)).not.toContain(first[0]!.id);
  });

  it('reads orders by id and as of a version as Prisma does; not a UUID is not an order', async () => {
    const userId = uniqueName('byid');
    const made = await viaPrisma.createFromCheckout(checkoutCompleted({ userId }));
    if (!made.created) throw new Error('expected a new order');
    const id = made.order.id;
    await viaPrisma.changeStatus(id, 'PROCESSING');
    expect(await viaReads.findByIds([id, 'not-a-uuid'])).toEqual(await viaPrisma.findByIds([id]));
    expect(await viaReads.findById(id)).toEqual(await viaPrisma.findById(id));
    for (const version of [1, 2, 3]) {
      expect(await viaReads.findAtVersion(id, version)).toEqual(
        await viaPrisma.findAtVersion(id, version),
      );
    }
    expect((await viaReads.findAtVersion(id, 1))?.status).toBe('CONFIRMED');
    expect(await viaReads.findAtVersion(id, 3)).toBeNull();
    expect(await viaReads.findAtVersion('not-a-uuid', 1)).toBeNull();
    expect(await viaReads.findById('not-a-uuid')).toBeNull();
  });

  it('changes a status in one statement: the same order, history row and event as the Prisma transaction', async () => {
    const userId = uniqueName('changer');
    const orders: string[] = [];
    for (let i = 0; i < 2; i++) {
      const made = await viaPrisma.createFromCheckout(checkoutCompleted({ userId }));
      if (!made.created) throw new Error('expected a new order');
      orders.push(made.order.id);
    }
    const [a, b] = orders as [string, string];
    const viaStatements = await viaReads.changeStatus(a, 'PROCESSING');
    const viaTransaction = await viaPrisma.changeStatus(b, 'PROCESSING');
    if (viaStatements.kind !== 'changed' || viaTransaction.kind !== 'changed') {
      throw new Error('expected both changes to apply');
    }
    const comparable = (order: Record<string, unknown>) => {
      const { id: _id, checkoutId: _c, createdAt: _at, updatedAt: _u, ...rest } = order;
      return rest;
    };
    expect(comparable(viaStatements.order)).toEqual(comparable(viaTransaction.order));
    expect(viaStatements.order).toEqual(await viaPrisma.findById(a));
    expect(viaStatements.order.version).toBe(2);

    const history = await prisma.orderVersion.findMany({
      where: { orderId: a },
      orderBy: { version: 'asc' },
    });
    expect(history.map((v) => [v.version, v.status])).toEqual([
      [1, 'CONFIRMED'],
      [2, 'PROCESSING'],
    ]);
    expect(history[1]?.updatedAt).toEqual(viaStatements.order.updatedAt);
    const events = await prisma.outboxEvent.findMany({
      where: { aggregateId: { in: [a, b] } },
      orderBy: { id: 'asc' },
    });
    const changedEvents = events.filter(
      (e) => (e.payload as { previousStatus: string | null }).previousStatus === 'CONFIRMED',
    );
    expect(changedEvents).toHaveLength(2);
    const [ofA, ofB] = [a, b].map((id) => changedEvents.find((e) => e.aggregateId === id)!);
    expect(ofA).toMatchObject({ topic: 'unused', messageKey: a, eventType: 'OrderStatusChanged' });
    expect(ofA!.payload).toMatchObject({
      orderId: a,
      userId,
      previousStatus: 'CONFIRMED',
      status: 'PROCESSING',
      orderVersion: 2,
      occurredAt: viaStatements.order.updatedAt.toISOString(),
    });
    const shape = (payload: unknown) => Object.keys(payload as object).sort();
    expect(shape(ofA!.payload)).toEqual(shape(ofB!.payload));
  });

  it('writes nothing when the order moved since it was read, and the store then judges the new status', async () => {
    const userId = uniqueName('racer');
    const made = await viaPrisma.createFromCheckout(checkoutCompleted({ userId }));
    if (!made.created) throw new Error('expected a new order');
    const stale = made.order;
    expect((await viaReads.changeStatus(stale.id, 'PROCESSING')).kind).toBe('changed');
    const eventsBefore = await prisma.outboxEvent.count({ where: { aggregateId: stale.id } });
    // Read at version 1, the order is at version 2 now: no row, no history, no event.
    const lost = await reads.changeStatusIfUnchanged({
      current: stale,
      to: 'CANCELLED',
      at: new Date(),
      event: {
        aggregateId: stale.id,
        eventType: 'OrderStatusChanged',
        topic: 'unused',
        messageKey: stale.id,
        payload: {},
      },
    });
    expect(lost).toBeUndefined();
    expect((await viaReads.findById(stale.id))?.status).toBe('PROCESSING');
    expect(await prisma.orderVersion.count({ where: { orderId: stale.id } })).toBe(2);
    expect(await prisma.outboxEvent.count({ where: { aggregateId: stale.id } })).toBe(eventsBefore);
    // Two operators at once on the statements: one change applies, the other is judged again.
    const results = await Promise.all([
      viaReads.changeStatus(stale.id, 'SHIPPED'),
      viaReads.changeStatus(stale.id, 'SHIPPED'),
    ]);
    expect(results.filter((r) => r.kind === 'changed')).toHaveLength(1);
    expect(await prisma.orderVersion.count({ where: { orderId: stale.id } })).toBe(3);
  });

  it("records a checkout's order in one statement as the Prisma transaction did, and a redelivery writes nothing", async () => {
    const userId = uniqueName('creator');
    const event = checkoutCompleted({ userId });
    const viaStatements = await viaReads.createFromCheckout(event);
    const viaTransaction = await viaPrisma.createFromCheckout(checkoutCompleted({ userId }));
    if (!viaStatements.created || !viaTransaction.created) throw new Error('expected two orders');
    const { order } = viaStatements;
    const comparable = (row: Record<string, unknown>) => {
      const { id: _id, checkoutId: _c, createdAt: _at, updatedAt: _u, ...rest } = row;
      return rest;
    };
    expect(comparable(order)).toEqual(comparable(viaTransaction.order));
    expect(order).toEqual(await viaPrisma.findById(order.id));
    expect(order.createdAt).toEqual(order.updatedAt);
    const items = (ids: string[]) => viaPrisma.itemsOfOrders(ids);
    const [ours, theirs] = [await items([order.id]), await items([viaTransaction.order.id])];
    expect(ours.map(({ id: _i, orderId: _o, ...rest }) => rest)).toEqual(
      theirs.map(({ id: _i, orderId: _o, ...rest }) => rest),
    );
    expect(ours.map((i) => i.position)).toEqual(event.items.map((_, n) => n));
    expect(await prisma.orderVersion.count({ where: { orderId: order.id } })).toBe(1);
    const outbox = await prisma.outboxEvent.findMany({ where: { aggregateId: order.id } });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]!.payload).toMatchObject({
      orderId: order.id,
      checkoutId: event.checkoutId,
      userId,
      previousStatus: null,
      status: 'CONFIRMED',
      orderVersion: 1,
      occurredAt: order.createdAt.toISOString(),
    });

    // The same checkout again (a redelivery): no order, no items, no version, no event.
    expect(await viaReads.createFromCheckout(event)).toEqual({ created: false });
    expect(await prisma.order.count({ where: { checkoutId: event.checkoutId } })).toBe(1);
    expect(await prisma.orderItem.count({ where: { orderId: order.id } })).toBe(ours.length);
    expect(await prisma.orderVersion.count({ where: { orderId: order.id } })).toBe(1);
    expect(await prisma.outboxEvent.count({ where: { aggregateId: order.id } })).toBe(1);
  });
});
