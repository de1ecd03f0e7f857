/**
 * Checkout through the gateway, as a shopper does it: fill the cart, check out, read the
 * session back, with each item's product resolved by the product subgraph over federation.
 * The supergraph is composed here from the product, cart and checkout schemas.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGateway, type RunningGateway } from '@shop/gateway/src/service';
import { loadGatewayConfig } from '@shop/gateway/src/config';
import { composeSubgraphs } from '@shop/gateway/src/supergraph/compose';
import { graphqlRequest, TEST_JWT_SECRET, testToken, uniqueName } from '@shop/shared/src/testing';
import { checkoutInput, startWorld, type World } from './world';

const SUBGRAPHS = path.resolve(__dirname, '../..');

let world: World;
let gateway: RunningGateway;
let dir: string;

beforeAll(async () => {
  world = await startWorld();
  const checkout = await world.startCheckout();
  dir = mkdtempSync(path.join(os.tmpdir(), 'checkout-gateway-'));
  const composed = composeSubgraphs(
    ['product', 'cart', 'checkout'].map((name) => ({
      name,
      url: `http://127.0.0.1/${name}`, // replaced by the overrides below
      sdl: readFileSync(path.join(SUBGRAPHS, name, 'schema.graphql'), 'utf8'),
    })),
  );
  if (!composed.ok) throw new Error(`composition failed:\n${composed.errors.join('\n')}`);
  writeFileSync(path.join(dir, 'supergraph.graphql'), composed.supergraphSdl);
  gateway = await createGateway(
    loadGatewayConfig({
      PORT: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      SUPERGRAPH_PATH: path.join(dir, 'supergraph.graphql'),
      SUBSCRIPTIONS_ENABLED: 'false',
      PRODUCT_SUBGRAPH_URL: world.product.graphqlUrl,
      CART_SUBGRAPH_URL: world.cartGraphqlUrl,
      CHECKOUT_SUBGRAPH_URL: checkout.graphqlUrl,
    }),
  );
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await world?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SESSION = /* GraphQL */ `
  fragment Session on CheckoutSession {
    id
    status
    total {
      amount
    }
    items {
      quantity
      productName
      unitPrice {
        amount
      }
      product {
        id
        name
        price {
          amount
        }
      }
    }
  }
`;

test('a shopper fills the cart and checks out through the gateway', async () => {
  const user = uniqueName('shopper');
  const token = await testToken(user);
  const add = await graphqlRequest(
    gateway.url,
    'mutation { addToCart(productId: "29", quantity: 2) { totalQuantity } }',
    {},
    token,
  );
  expect(add.errors).toBeUndefined();

  const res = await graphqlRequest<{
    checkout: {
      id: string;
      status: string;
      items: {
        productName: string;
        unitPrice: { amount: string };
        product: { name: string; price: { amount: string } };
      }[];
    };
  }>(
    gateway.url,
    `${SESSION} mutation ($input: CheckoutInput!) { checkout(input: $input) { ...Session } }`,
    { input: checkoutInput(uniqueName('key')) },
    token,
  );
  expect(res.errors).toBeUndefined();
  const session = res.data!.checkout;
  expect(session.status).toBe('COMPLETED');
  const [item] = session.items;
  // The snapshot and the catalog agree while nothing changed in between.
  expect(item!.product.name).toBe(item!.productName);
  expect(item!.product.price.amount).toBe(item!.unitPrice.amount);

  const again = await graphqlRequest<{ checkoutSession: { id: string; status: string } }>(
    gateway.url,
    `${SESSION} query ($id: ID!) { checkoutSession(id: $id) { ...Session } }`,
    { id: session.id },
    token,
  );
  expect(again.data?.checkoutSession).toEqual(session);
});
