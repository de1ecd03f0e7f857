import { runMigrations } from '@shop/shared';
import { createTestDatabase, uniqueName } from '@shop/shared/src/testing';
import { MIGRATIONS_DIR } from '../src/data/migrations';
import { openOrderReads, type OrderReads } from '../src/data/orderReads';
import { OrderStore } from '../src/data/orderStore';
import { createOrdersPrisma, type OrdersPrisma } from '../src/data/prismaClient';
import { checkoutCompleted } from './support';

/**
 * The order-history reads without Prisma must return exactly what Prisma returned (the
 * resolvers take either), read what was just written, and page the same way.
 */
describe('orderReads: the order-history page on prepared pg statements (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let prisma: OrdersPrisma;
  let reads: OrderReads;
  let viaPrisma: OrderStore;
  let viaReads: OrderStore;

  beforeAll(async () => {
    db = await createTestDatabase('orders_reads');
    await runMigrations({ dir: MIGRATIONS_DIR, postgresUrl: db.url });
    prisma = createOrdersPrisma(db.url);
    reads = openOrderReads(db.url);
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
});
