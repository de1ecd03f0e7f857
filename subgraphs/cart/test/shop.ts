/**
 * The parts of the shop a cart request crosses, started in this process on the infra servers:
 * the real product service (SQLite catalog, seeded), cart services, and the gateway over a
 * supergraph composed from the product and cart schemas. Used by the gateway tests and by
 * `npm run bench:cart`. The supergraph is composed here from the two schema files rather than
 * read from the committed supergraph.graphql, so these tests depend on product and cart only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { createGateway, type RunningGateway } from '@shop/gateway/src/service';
import { loadGatewayConfig } from '@shop/gateway/src/config';
import { composeSubgraphs } from '@shop/gateway/src/supergraph/compose';
import { createProductService, type ProductService } from '@shop/product-subgraph/src/service';
import { loadProductConfig } from '@shop/product-subgraph/src/config';
import { TEST_JWT_SECRET } from '@shop/shared/src/testing';
import type { CartServiceOptions } from '../src/service';
import { startCartService, type TestCartService } from './support';

const SUBGRAPHS = path.resolve(__dirname, '..', '..');

export interface Shop {
  product: ProductService;
  /** Gateway over product + `cart`. */
  gateway: RunningGateway;
  cart: TestCartService;
  /** Another gateway over the same product service and another cart service. */
  withCart: (
    env?: Record<string, string>,
    options?: CartServiceOptions,
  ) => Promise<{ gateway: RunningGateway; cart: TestCartService }>;
  stop: () => Promise<void>;
}

export async function startShop(
  options: {
    cartEnv?: Record<string, string>;
    cartOptions?: CartServiceOptions;
    logger?: Logger;
  } = {},
): Promise<Shop> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cart-shop-'));
  const logLevel = process.env.TEST_LOG_LEVEL ?? 'silent';
  const stops: (() => Promise<void>)[] = [
    async () => rmSync(dir, { recursive: true, force: true }),
  ];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const product = await createProductService(
      loadProductConfig({
        PORT: '0',
        GRPC_PORT: '0',
        PRODUCT_DATABASE_URL: `file:${path.join(dir, 'product.db')}`,
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: logLevel,
      }),
    );
    stops.push(product.stop);

    const supergraphPath = path.join(dir, 'supergraph.graphql');
    const composed = composeSubgraphs(
      ['product', 'cart'].map((name) => ({
        name,
        url: `http://127.0.0.1/${name}`, // replaced by the overrides below
        sdl: readFileSync(path.join(SUBGRAPHS, name, 'schema.graphql'), 'utf8'),
      })),
    );
    if (!composed.ok) throw new Error(`composition failed:\n${composed.errors.join('\n')}`);
    writeFileSync(supergraphPath, composed.supergraphSdl);

    const withCart = async (env: Record<string, string> = {}, cartOptions?: CartServiceOptions) => {
      const cart = await startCartService(
        { PRODUCT_GRPC_URL: product.grpcAddress, LOG_LEVEL: logLevel, ...env },
        cartOptions,
      );
      stops.push(cart.stopAndDrop);
      const gateway = await createGateway(
        loadGatewayConfig({
          PORT: '0',
          JWT_SECRET: TEST_JWT_SECRET,
          LOG_LEVEL: logLevel,
          SUPERGRAPH_PATH: supergraphPath,
          PRODUCT_SUBGRAPH_URL: product.graphqlUrl,
          CART_SUBGRAPH_URL: cart.graphqlUrl,
          // Cart rules are under test here, not the edge: anonymous guests all share one IP.
          RATE_LIMIT_ENABLED: 'false',
        }),
        { logger: options.logger },
      );
      stops.push(gateway.stop);
      return { gateway, cart };
    };

    const main = await withCart(options.cartEnv, options.cartOptions);
    return { product, ...main, withCart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
