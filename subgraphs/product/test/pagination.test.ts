import Database from 'better-sqlite3';
import { graphqlRequest } from '@shop/shared/src/testing';
import type { ProductService } from '../src/service';
import { startProductService, tempDatabase } from './support';

const PAGE = `
  query Page($first: Int, $after: String, $sortBy: ProductSort = NEWEST) {
    products(first: $first, after: $after, sortBy: $sortBy) {
      totalCount
      edges { cursor node { id name price { amount currencyCode } } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

interface PageData {
  products: {
    totalCount: number;
    edges: { cursor: string; node: { id: string; name: string; price: { amount: string } } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** The seed's ids, newest (highest) first: NEWEST order. */
const NEWEST_IDS = Array.from({ length: 240 }, (_, i) => String(240 - i));

describe('browsing the catalog page by page (over HTTP)', () => {
  const db = tempDatabase();
  let service: ProductService;
  const page = (variables: Record<string, unknown>) =>
    graphqlRequest<PageData>(service.graphqlUrl, PAGE, variables);

  beforeAll(async () => {
    service = await startProductService(db.url);
  });
  afterAll(async () => {
    await service.stop();
    db.remove();
  });

  test('following endCursor visits every product once, newest first, then stops', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res = await page({ first: 50, after });
      expect(res.errors).toBeUndefined();
      const { edges, pageInfo, totalCount } = res.data!.products;
      expect(totalCount).toBe(240);
      seen.push(...edges.map((e) => e.node.id));
      pages += 1;
      expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(pages).toBe(5); // 50 × 4 + 40
    expect(seen).toEqual(NEWEST_IDS);
  });

  test('the first page defaults to 20 products and shows prices as decimal strings', async () => {
    const res = await page({ sortBy: 'PRICE_DESC' });
    const { edges, pageInfo } = res.data!.products;
    expect(edges).toHaveLength(20);
    expect(pageInfo.hasNextPage).toBe(true);
    expect(edges[0]!.node).toEqual({
      id: '1',
      name: 'Laptop',
      price: { amount: '1299.99', currencyCode: 'USD' },
    });
  });

  test('an edge cursor resumes right after that product', async () => {
    const first = await page({ first: 5 });
    const third = first.data!.products.edges[2]!;
    const next = await page({ first: 2, after: third.cursor });
    expect(next.data!.products.edges.map((e) => e.node.id)).toEqual(NEWEST_IDS.slice(3, 5));
  });

  test('the last page says there is no next page; nothing follows it', async () => {
    let after: string | null = null;
    for (const expected of [100, 100]) {
      const full = await page({ first: 100, after });
      expect(full.data!.products.edges).toHaveLength(expected);
      expect(full.data!.products.pageInfo.hasNextPage).toBe(true);
      after = full.data!.products.pageInfo.endCursor;
    }
    const all = await page({ first: 100, after });
    expect(all.data!.products.edges).toHaveLength(40);
    expect(all.data!.products.pageInfo.hasNextPage).toBe(false);
    const past = await page({ first: 5, after: all.data!.products.pageInfo.endCursor });
    expect(past.data!.products.edges).toEqual([]);
    expect(past.data!.products.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  test.each([
    ['not base64 at all', 'this is not a cursor!'],
    ['base64 of something else', Buffer.from('offset:10').toString('base64url')],
    ['an empty string', ''],
  ])('a bad cursor (%s) is BAD_USER_INPUT that says what to pass', async (_what, after) => {
    const res = await page({ first: 5, after });
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/pageInfo\.endCursor/);
    expect(JSON.stringify(res.errors)).not.toMatch(/stack|at \w+ \(/);
  });

  test.each([0, -1, 101, 5000])('first: %i is BAD_USER_INPUT naming the range', async (first) => {
    const res = await page({ first });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/between 1 and 100/);
  });

  test('product(id) returns the product, and null for ids that name none', async () => {
    const res = await graphqlRequest<{
      mouse: { id: string; name: string; description: string; imageUrl: string } | null;
      missing: unknown;
      notANumber: unknown;
    }>(
      service.graphqlUrl,
      `{ mouse: product(id: "2") { id name description imageUrl }
         missing: product(id: "999999") { id }
         notANumber: product(id: "mouse") { id } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.mouse).toMatchObject({ id: '2', name: 'Mouse' });
    expect(res.data!.mouse!.description).toEqual(expect.any(String));
    expect(res.data!.mouse!.imageUrl).toMatch(/^https:\/\//);
    expect(res.data!.missing).toBeNull();
    expect(res.data!.notANumber).toBeNull();
  });

  test('readiness reports the database', async () => {
    const res = await fetch(service.graphqlUrl.replace('/graphql', '/health/ready'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { sqlite: 'ok' } });
  });

  // Last: it changes the catalog the other tests count.
  test('a cursor stays valid when its product is deleted and others are added', async () => {
    const first = await page({ first: 10 });
    const cursor = first.data!.products.pageInfo.endCursor; // after product 231
    const sqlite = new Database(db.file);
    try {
      sqlite.prepare('DELETE FROM products WHERE id = 231').run();
      sqlite
        .prepare("INSERT INTO products (id, name, price_cents) VALUES (241, 'Cable Ties', 499)")
        .run();
    } finally {
      sqlite.close();
    }
    const next = await page({ first: 3, after: cursor });
    expect(next.data!.products.edges.map((e) => e.node.id)).toEqual(['230', '229', '228']);
    expect(next.data!.products.totalCount).toBe(240);
  });
});

describe('two replicas of the catalog (each seeds its own SQLite file, as each product pod does)', () => {
  const dbs = [tempDatabase(), tempDatabase()];
  let replicas: [ProductService, ProductService];
  beforeAll(async () => {
    replicas = [await startProductService(dbs[0]!.url), await startProductService(dbs[1]!.url)];
  });
  afterAll(async () => {
    await Promise.all(replicas.map((s) => s.stop()));
    for (const db of dbs) db.remove();
  });

  test.each(['NEWEST', 'NAME', 'PRICE_ASC', 'PRICE_DESC'])(
    'a %s page asked of one continues on the other, exactly as on the first',
    async (sortBy) => {
      const [a, b] = replicas;
      const first = await graphqlRequest<PageData>(a.graphqlUrl, PAGE, { first: 30, sortBy });
      const after = first.data!.products.pageInfo.endCursor;
      const onA = await graphqlRequest<PageData>(a.graphqlUrl, PAGE, { first: 25, after, sortBy });
      const onB = await graphqlRequest<PageData>(b.graphqlUrl, PAGE, { first: 25, after, sortBy });
      expect(onB.errors).toBeUndefined();
      const ids = (r: typeof onA) => r.data!.products.edges.map((e) => e.node.id);
      expect(ids(onB)).toHaveLength(25);
      expect(ids(onB)).toEqual(ids(onA));
    },
  );
});
