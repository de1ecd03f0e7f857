import Database from 'better-sqlite3';
import { runMigrations } from '@shop/shared';
import { openProductStore, type ProductStore } from '../src/data/productStore';
import { seedCatalog } from '../src/data/seedCatalog';
import { MIGRATIONS_DIR } from '../src/service';
import { tempDatabase } from './support';

/**
 * The catalog's hot reads run as prepared statements outside Prisma (src/data/catalogReads.ts).
 * They must read exactly what Prisma would, and never an old copy: a price written to the
 * database by another connection is what the very next read returns (checkout's gRPC catalog
 * reads through the same store).
 */
describe('prepared catalog reads', () => {
  const db = tempDatabase();
  let store: ProductStore;

  beforeAll(async () => {
    await runMigrations({ dir: MIGRATIONS_DIR, sqliteUrl: db.url });
    store = await openProductStore({ databaseUrl: db.url });
    await seedCatalog(store);
  });
  afterAll(async () => {
    await store.close();
    db.remove();
  });

  test('a page and a lookup return whole rows in id order, absent ids left out', async () => {
    const page = await store.page(3, 1);
    expect(page.rows.map((r) => r.id)).toEqual([2, 3, 4]);
    expect(page.hasNextPage).toBe(true);
    const row = page.rows[0]!;
    expect(row).toEqual({
      id: 2,
      name: expect.any(String),
      description: expect.anything(),
      priceCents: expect.any(Number),
      currency: 'USD',
      imageUrl: expect.anything(),
      createdAt: expect.any(Date),
    });
    expect(Number.isNaN(row.createdAt.getTime())).toBe(false);

    const found = await store.findByIds(['3', '1', '999999', 'x']);
    expect([...found.keys()].sort()).toEqual(['1', '3']);
    expect(found.get('3')).toEqual(page.rows[1]);
  });

  test('a price written by another connection is read at once, by pages and by id', async () => {
    const writer = new Database(db.file);
    try {
      const before = (await store.findByIds(['5'])).get('5')!.priceCents;
      writer.prepare('UPDATE products SET price_cents = ? WHERE id = 5').run(before + 101);

      expect((await store.findByIds(['5'])).get('5')!.priceCents).toBe(before + 101);
      const page = await store.page(1, 4);
      expect(page.rows[0]!.priceCents).toBe(before + 101);
    } finally {
      writer.close();
    }
  });
});
