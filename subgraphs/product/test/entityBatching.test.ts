import { createInventoryClient } from '@shop/internal-grpc';
import { createApolloServer, runMigrations } from '@shop/shared';
import { createContext, type Context } from '../src/context';
import { openProductStore, type ProductStore } from '../src/data/productStore';
import { seedCatalog } from '../src/data/seedCatalog';
import { buildProductSchema, MIGRATIONS_DIR } from '../src/service';
import { silentLogger, tempDatabase } from './support';

/**
 * The gateway resolves every Product that another subgraph references (cart items, order
 * items) with one `_entities` call per request. These tests count the SQL statements that
 * actually reach SQLite (better-sqlite3's statement hook, below Prisma and the loader).
 */
describe('federated product references are batched into one SQL query', () => {
  const db = tempDatabase();
  const statements: string[] = [];
  let store: ProductStore;
  const server = createApolloServer<Context>(buildProductSchema(), silentLogger);

  beforeAll(async () => {
    await runMigrations({ dir: MIGRATIONS_DIR, sqliteUrl: db.url });
    store = await openProductStore({
      databaseUrl: db.url,
      onStatement: (sql) => statements.push(sql),
    });
    await seedCatalog(store);
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
    db.remove();
  });

  /** Runs one operation as one request (fresh context, fresh loader) and returns the SQL it ran. */
  async function execute(query: string, variables: Record<string, unknown> = {}) {
    statements.length = 0;
    const response = await server.executeOperation(
      { query, variables },
      {
        contextValue: createContext(
          { viewer: undefined, logger: silentLogger },
          // Never called: these operations do not ask for availability.
          { store, inventory: createInventoryClient('127.0.0.1:1', 100, silentLogger) },
        ),
      },
    );
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { result: response.body.singleResult, sql: [...statements] };
  }

  const ENTITIES = `
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Product { id name price { amount currencyCode } }
      }
    }`;

  test('twelve references, one of them unknown, cost exactly one SELECT', async () => {
    const ids = ['5', '1', '12', '3', '30', '7', '999', '2', '20', '9', '14', '1'];
    const { result, sql } = await execute(ENTITIES, {
      representations: ids.map((id) => ({ __typename: 'Product', id })),
    });

    expect(result.errors).toBeUndefined();
    const entities = result.data!._entities as ({ id: string } | null)[];
    expect(entities.map((e) => e?.id ?? null)).toEqual(ids.map((id) => (id === '999' ? null : id)));
    expect(entities[0]).toEqual({
      id: '5',
      name: 'Headphones',
      price: { amount: '249.99', currencyCode: 'USD' },
    });
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/^SELECT .* FROM [`"]?(main[`"]?\.[`"]?)?products[`"]? WHERE .*IN \(/is);
  });

  test('several product(id) fields in one operation share the same single query', async () => {
    const { result, sql } = await execute(`{
      a: product(id: "4") { name }
      b: product(id: "8") { name }
      c: product(id: "4") { price { amount } }
      d: product(id: "nope") { name }
    }`);

    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      a: { name: 'Monitor' },
      b: { name: 'External SSD' },
      c: { price: { amount: '399.99' } },
      d: null,
    });
    expect(sql).toHaveLength(1);
  });

  test('each request gets its own loader: a second request queries again', async () => {
    const reps = { representations: [{ __typename: 'Product', id: '1' }] };
    expect((await execute(ENTITIES, reps)).sql).toHaveLength(1);
    expect((await execute(ENTITIES, reps)).sql).toHaveLength(1);
  });
});
