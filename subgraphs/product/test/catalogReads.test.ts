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

  test('a lookup returns whole rows, absent and malformed ids left out', async () => {
    const found = await store.findByIds(['3', '1', '999999', 'x']);
    expect([...found.keys()].sort()).toEqual(['1', '3']);
    const row = found.get('3')!;
    expect(row).toEqual({
      id: 3,
      name: expect.any(String),
      description: expect.anything(),
      priceCents: expect.any(Number),
      currency: 'USD',
      imageUrl: expect.anything(),
      createdAt: expect.any(Date),
      categoryId: expect.any(Number),
    });
    expect(Number.isNaN(row.createdAt.getTime())).toBe(false);
  });

  test('a price written by another connection is read at once by id', async () => {
    const writer = new Database(db.file);
    try {
      const before = (await store.findByIds(['5'])).get('5')!.priceCents;
      writer.prepare('UPDATE products SET price_cents = ? WHERE id = 5').run(before + 101);

      expect((await store.findByIds(['5'])).get('5')!.priceCents).toBe(before + 101);
    } finally {
      writer.close();
    }
  });
});
