import {
  createInventoryServer,
  loadInventoryConfig,
  type InventoryServer,
} from '@shop/internal-grpc/stubs';
import { loadGatewayConfig } from '@shop/gateway/src/config';
import { createGateway, type RunningGateway } from '@shop/gateway/src/service';
import { graphqlRequest, TEST_JWT_SECRET } from '@shop/shared/src/testing';
import { SEED_PRODUCTS } from '../src/data/seedCatalog';
import type { ProductService } from '../src/service';
import { silentLogger, startProductService, tempDatabase } from './support';

const QUERY = `
  query Browse($first: Int, $after: String, $filter: ProductFilter, $sortBy: ProductSort) {
    products(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {
      totalCount
      edges { cursor node { id name price { amount } category { id name } } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

interface Page {
  products: {
    totalCount: number;
    edges: {
      cursor: string;
      node: { id: string; name: string; price: { amount: string }; category: { id: string } };
    }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

type Row = (typeof SEED_PRODUCTS)[number];
/** The orders the API promises, computed independently from the seed. */
const EXPECTED: Record<string, (a: Row, b: Row) => number> = {
  NAME: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id),
  PRICE_ASC: (a, b) => a.priceCents - b.priceCents || a.id - b.id,
  PRICE_DESC: (a, b) => b.priceCents - a.priceCents || a.id - b.id,
  NEWEST: (a, b) => b.id - a.id,
};

/**
 * Every rule twice: asked of the product subgraph directly, and through the gateway over the
 * committed supergraph (its public cache on, as in production), which is how shoppers ask.
 */
describe.each(['the product subgraph', 'the gateway'] as const)(
  'products: filter, sortBy and stable cursors (via %s, real inventory stub)',
  (via) => {
    const db = tempDatabase();
    let inventory: InventoryServer;
    let service: ProductService;
    let gateway: RunningGateway | undefined;
    let url: string;
    const browse = (variables: Record<string, unknown>) =>
      graphqlRequest<Page>(url, QUERY, variables);

    /** Follows endCursor to the end; returns every id in the order served. */
    async function walk(variables: Record<string, unknown>, first: number) {
      const ids: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 100; guard++) {
        const res = await browse({ ...variables, first, after });
        expect(res.errors).toBeUndefined();
        ids.push(...res.data!.products.edges.map((e) => e.node.id));
        if (!res.data!.products.pageInfo.hasNextPage) return ids;
        after = res.data!.products.pageInfo.endCursor;
      }
      throw new Error('more than 100 pages');
    }

    beforeAll(async () => {
      // Sold out: 221–240 and 3 (the Keyboard).
      inventory = await createInventoryServer(
        loadInventoryConfig({
          GRPC_PORT: '0',
          INVENTORY_SEED: '1-220=5;221-240=0;3=0',
          LOG_LEVEL: 'silent',
        }),
        { logger: silentLogger },
      );
      service = await startProductService(db.url, { INVENTORY_GRPC_URL: inventory.address });
      url = service.graphqlUrl;
      if (via === 'the gateway') {
        gateway = await createGateway(
          loadGatewayConfig({
            PORT: '0',
            JWT_SECRET: TEST_JWT_SECRET,
            LOG_LEVEL: 'silent',
            PRODUCT_SUBGRAPH_URL: service.graphqlUrl,
            // The walks below are hundreds of requests from one address in seconds.
            RATE_LIMIT_ENABLED: 'false',
          }),
          { logger: silentLogger },
        );
        url = gateway.url;
      }
    });
    afterAll(async () => {
      await gateway?.stop();
      await service.stop();
      await inventory.stop();
      db.remove();
    });

    test.each(Object.keys(EXPECTED))(
      'sortBy %s with ties: every product exactly once, in order, across pages of 7',
      async (sortBy) => {
        const expected = [...SEED_PRODUCTS].sort(EXPECTED[sortBy]).map((p) => String(p.id));
        const ids = await walk({ sortBy }, 7);
        expect(ids).toEqual(expected);
        expect(new Set(ids).size).toBe(SEED_PRODUCTS.length);
      },
    );

    test('the default order is NAME', async () => {
      const res = await browse({ first: 5 });
      const expected = [...SEED_PRODUCTS]
        .sort(EXPECTED.NAME)
        .slice(0, 5)
        .map((p) => String(p.id));
      expect(res.data!.products.edges.map((e) => e.node.id)).toEqual(expected);
    });

    test('search is case-insensitive over name and description; totalCount counts the matches', async () => {
      const matches = SEED_PRODUCTS.filter((p) =>
        `${p.name} ${p.description ?? ''}`.toLowerCase().includes('noise'),
      );
      const ids = await walk({ filter: { search: 'NOISE' }, sortBy: 'PRICE_ASC' }, 4);
      expect(ids.sort()).toEqual(matches.map((p) => String(p.id)).sort());
      const res = await browse({ first: 1, filter: { search: 'nOiSe' } });
      expect(res.data!.products.totalCount).toBe(matches.length);
    });

    test('category and price range combine; prices are inclusive decimal strings', async () => {
      const expected = SEED_PRODUCTS.filter(
        (p) => p.categoryId === 2 && p.priceCents >= 2999 && p.priceCents <= 9999,
      )
        .sort(EXPECTED.PRICE_DESC)
        .map((p) => String(p.id));
      expect(expected.length).toBeGreaterThan(3);
      const filter = { categoryId: '2', minPrice: '29.99', maxPrice: '99.99' };
      expect(await walk({ filter, sortBy: 'PRICE_DESC' }, 3)).toEqual(expected);
    });

    test('inStock asks inventory and pages correctly over what it answers', async () => {
      const soldOut = new Set([3, ...Array.from({ length: 20 }, (_, i) => 221 + i)]);
      const inStock = SEED_PRODUCTS.filter((p) => !soldOut.has(p.id)).sort(EXPECTED.NAME);
      const ids = await walk({ filter: { inStock: true } }, 50);
      expect(ids).toEqual(inStock.map((p) => String(p.id)));
      const out = await walk({ filter: { inStock: false }, sortBy: 'NEWEST' }, 6);
      expect(out).toEqual([...soldOut].sort((a, b) => b - a).map(String));
    });

    test('categories lists every category by name; each product names one', async () => {
      const res = await graphqlRequest<{ categories: { id: string; name: string }[] }>(
        url,
        '{ categories { id name } }',
      );
      expect(res.errors).toBeUndefined();
      const names = res.data!.categories.map((c) => c.name);
      expect(names.length).toBeGreaterThanOrEqual(6);
      expect(names).toEqual([...names].sort());
      const page = await browse({ first: 1, sortBy: 'NEWEST' });
      expect(page.data!.products.edges[0]!.node.category.id).toEqual(expect.any(String));
    });

    test.each([
      [{ minPrice: '-1.00' }, 'filter.minPrice'],
      [{ maxPrice: '12,50' }, 'filter.maxPrice'],
      [{ minPrice: '1.999' }, 'filter.minPrice'],
      [{ minPrice: '50.00', maxPrice: '10.00' }, 'filter.minPrice'],
      [{ categoryId: '999' }, 'filter.categoryId'],
      [{ categoryId: 'audio' }, 'filter.categoryId'],
    ])('a bad filter %j is BAD_USER_INPUT naming %s', async (filter, field) => {
      const res = await browse({ first: 5, filter });
      expect(res.data).toBeNull();
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain(`\`${field}\``);
    });

    test('stock is live: a reservation shows at once in availability and the inStock filter', async () => {
      // Two requests: one no-store field in an answer makes all of it no-store.
      const look = async () => ({
        product: (
          await graphqlRequest<{
            product: { availability: { inStock: boolean; quantityAvailable: number } };
          }>(url, '{ product(id: "7") { availability { inStock quantityAvailable } } }')
        ).data!.product,
        products: (
          await graphqlRequest<{ products: { totalCount: number } }>(
            url,
            '{ products(filter: { inStock: true }, first: 1) { totalCount } }',
          )
        ).data!.products,
      });
      const before = await look();
      expect(before.product.availability).toEqual({ inStock: true, quantityAvailable: 5 });
      // Straight away, well inside the gateway's public cache TTL: live fields are no-store.
      inventory.ledger.reserve(`catalog-test-${via}`, [{ productId: '7', quantity: 5 }]);
      try {
        const after = await look();
        expect(after.product.availability).toEqual({ inStock: false, quantityAvailable: 0 });
        expect(after.products.totalCount).toBe(before.products.totalCount - 1);
      } finally {
        inventory.ledger.release(`catalog-test-${via}`);
      }
      expect((await look()).product.availability.quantityAvailable).toBe(5);
    });

    test('the subgraph sends catalog answers as cacheable and live stock as no-store', async () => {
      const cacheControl = async (query: string) =>
        (
          await fetch(service.graphqlUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
            body: JSON.stringify({ query }),
          })
        ).headers.get('cache-control');
      expect(await cacheControl('{ product(id: "7") { name price { amount } } }')).toBe(
        'max-age=60, public',
      );
      expect(await cacheControl('{ product(id: "7") { name availability { inStock } } }')).toBe(
        'no-store',
      );
      expect(
        await cacheControl('{ products(filter: { inStock: true }, first: 1) { totalCount } }'),
      ).toBe('no-store');
    });

    test('a cursor of one sortBy is refused under another', async () => {
      const res = await browse({ first: 2, sortBy: 'PRICE_ASC' });
      const again = await browse({
        first: 2,
        sortBy: 'NAME',
        after: res.data!.products.pageInfo.endCursor,
      });
      expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(again.errors?.[0]?.message).toMatch(/sortBy: PRICE_ASC/);
    });
  },
);
