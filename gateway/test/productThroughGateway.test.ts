import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ProductService } from '@shop/product-subgraph';
import { testToken } from '@shop/shared/src/testing';
import type { RunningGateway } from '../src/service';
import { post, startGateway, startProductService } from './support';

/**
 * End to end through the committed supergraph.graphql (what ships), with the real product
 * service in-process on its own SQLite file; PRODUCT_SUBGRAPH_URL points the gateway at it.
 */
describe('the catalog through the gateway', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-product-'));
  let product: ProductService;
  let gateway: RunningGateway;

  beforeAll(async () => {
    product = await startProductService(path.join(dir, 'product.db'));
    gateway = await startGateway({ PRODUCT_SUBGRAPH_URL: product.graphqlUrl });
  });
  afterAll(async () => {
    await gateway?.stop();
    await product?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const FIRST_FIVE = `{
    products(first: 5) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name price { amount currencyCode } } }
    }
  }`;

  it('products(first: 5) returns five products with decimal-string prices, without a token', async () => {
    const result = await post(gateway.url, FIRST_FIVE);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    const page = (result.body.data as { products: ProductPage }).products;
    expect(page.edges).toHaveLength(5);
    expect(page.totalCount).toBeGreaterThan(5);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: page.edges[4]?.cursor });
    for (const { node } of page.edges) {
      expect(node.name).toEqual(expect.any(String));
      expect(node.price.amount).toMatch(/^\d+\.\d{2}$/);
      expect(node.price.currencyCode).toMatch(/^[A-Z]{3}$/);
    }
    expect(new Set(page.edges.map((e) => e.node.id)).size).toBe(5);
  });

  it('answers the same with a valid token, and a product by id', async () => {
    const token = await testToken('user-catalog-1');
    const page = await post(gateway.url, FIRST_FIVE, { authorization: `Bearer ${token}` });
    const first = (page.body.data as { products: ProductPage }).products.edges[0]!.node;
    const one = await post(
      gateway.url,
      `{ product(id: "${first.id}") { id name price { amount } } }`,
    );
    expect(one.body).toMatchObject({
      data: { product: { id: first.id, name: first.name, price: { amount: first.price.amount } } },
    });
  });

  it('passes the product subgraph’s BAD_USER_INPUT for a bad page size through', async () => {
    const result = await post(gateway.url, '{ products(first: -1) { totalCount } }');
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

interface ProductPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: {
    cursor: string;
    node: { id: string; name: string; price: { amount: string; currencyCode: string } };
  }[];
}
