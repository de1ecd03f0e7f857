import Database from 'better-sqlite3';
import { runMigrations } from '@shop/shared';
import { graphqlRequest } from '@shop/shared/src/testing';
import { openProductStore } from '../src/data/productStore';
import { SEED_PRODUCTS, seedCatalog } from '../src/data/seedCatalog';
import { MIGRATIONS_DIR } from '../src/service';
import { startProductService, tempDatabase } from './support';

describe('the demo catalog seed', () => {
  test('holds the plan’s five products at ids 1–5 with exact prices, and at least 200 in all', () => {
    expect(SEED_PRODUCTS.length).toBeGreaterThanOrEqual(200);
    expect(SEED_PRODUCTS.map((p) => p.id)).toEqual(SEED_PRODUCTS.map((_, i) => i + 1));
    expect(SEED_PRODUCTS.slice(0, 5).map((p) => [p.id, p.name, p.priceCents])).toEqual([
      [1, 'Laptop', 129999],
      [2, 'Mouse', 2999],
      [3, 'Keyboard', 8999],
      [4, 'Monitor', 39999],
      [5, 'Headphones', 24999],
    ]);
    // Ties on purpose, so the sorts' tie-breaks are tested: repeated names and prices.
    expect(new Set(SEED_PRODUCTS.map((p) => p.name)).size).toBeLessThan(SEED_PRODUCTS.length);
    expect(new Set(SEED_PRODUCTS.map((p) => p.priceCents)).size).toBeLessThan(60);
    // Several categories, each with products.
    expect(new Set(SEED_PRODUCTS.map((p) => p.categoryId)).size).toBeGreaterThanOrEqual(6);
  });

  test('seeding twice inserts once, and keeps a price changed in between', async () => {
    const db = tempDatabase();
    await runMigrations({ dir: MIGRATIONS_DIR, sqliteUrl: db.url });
    const store = await openProductStore({ databaseUrl: db.url });
    try {
      expect(await seedCatalog(store)).toBe(SEED_PRODUCTS.length);
      const sqlite = new Database(db.file);
      sqlite.prepare('UPDATE products SET price_cents = 119999 WHERE id = 1').run();
      sqlite.close();

      expect(await seedCatalog(store)).toBe(0);
      expect(await store.count()).toBe(SEED_PRODUCTS.length);
      expect((await store.findByIds(['1'])).get('1')?.priceCents).toBe(119999);
    } finally {
      await store.close();
      db.remove();
    }
  });

  test('restarting the service on the same file neither migrates nor seeds again', async () => {
    const db = tempDatabase();
    try {
      const first = await startProductService(db.url);
      await first.stop();
      const second = await startProductService(db.url);
      const res = await graphqlRequest<{ products: { totalCount: number } }>(
        second.graphqlUrl,
        '{ products { totalCount } }',
      );
      await second.stop();

      expect(res.data?.products.totalCount).toBe(SEED_PRODUCTS.length);
      const sqlite = new Database(db.file, { readonly: true });
      expect(sqlite.prepare('SELECT count(*) AS n FROM _migrations').get()).toEqual({ n: 2 });
      sqlite.close();
    } finally {
      db.remove();
    }
  });

  test('PRODUCT_SEED=false starts with an empty catalog', async () => {
    const db = tempDatabase();
    try {
      const service = await startProductService(db.url, { PRODUCT_SEED: 'false' });
      const res = await graphqlRequest<{ products: { totalCount: number; edges: unknown[] } }>(
        service.graphqlUrl,
        '{ products { totalCount edges { cursor } } }',
      );
      await service.stop();
      expect(res.data?.products).toEqual({ totalCount: 0, edges: [] });
    } finally {
      db.remove();
    }
  });

  test('two replicas starting at once on one new file both come up with one catalog', async () => {
    const db = tempDatabase();
    try {
      const services = await Promise.all([
        startProductService(db.url),
        startProductService(db.url),
      ]);
      const counts = await Promise.all(
        services.map((s) =>
          graphqlRequest<{ products: { totalCount: number } }>(
            s.graphqlUrl,
            '{ products { totalCount } }',
          ),
        ),
      );
      await Promise.all(services.map((s) => s.stop()));
      expect(counts.map((c) => c.data?.products.totalCount)).toEqual([
        SEED_PRODUCTS.length,
        SEED_PRODUCTS.length,
      ]);
    } finally {
      db.remove();
    }
  });
});
