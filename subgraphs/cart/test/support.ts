/**
 * Test support for the cart subgraph: a cart service on its own MongoDB database (so suites
 * never see each other's carts), GraphQL documents, and a latch to hold a request mid-way.
 */
import { infra, TEST_JWT_SECRET, uniqueName } from '@shop/shared/src/testing';
import { loadCartConfig } from '../src/config';
import { createCartService, type CartServiceOptions } from '../src/service';

export async function startCartService(
  env: Record<string, string> = {},
  options: CartServiceOptions = {},
) {
  const dbName = uniqueName('cart_test');
  const service = await createCartService(
    loadCartConfig({
      PORT: '0',
      GRPC_PORT: '0',
      MONGO_URL: `${infra.mongoUrl}/${dbName}`,
      REDIS_URL: infra.redisUrl,
      // Nothing listens on port 1: tests that need the catalog pass the real one.
      PRODUCT_GRPC_URL: '127.0.0.1:1',
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      // Off unless a test turns it on with its own topics and group: a test service must never
      // join the real `cart-service` group on the real checkout-events topic.
      CART_CONSUMER_ENABLED: 'false',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...env,
    }),
    options,
  );
  return {
    ...service,
    dbName,
    /** Stops the service and drops its database. */
    stopAndDrop: async () => {
      try {
        await service.mongoClient.db().dropDatabase();
      } finally {
        await service.stop();
      }
    },
  };
}

export type TestCartService = Awaited<ReturnType<typeof startCartService>>;

export const CART_FIELDS = /* GraphQL */ `
  fragment CartFields on Cart {
    id
    totalQuantity
    updatedAt
    items {
      product {
        id
      }
      quantity
      addedAt
    }
  }
`;

export interface CartData {
  id: string;
  totalQuantity: number;
  updatedAt: string | null;
  items: { product: { id: string }; quantity: number; addedAt: string }[];
}

export const CART_QUERY = `${CART_FIELDS} query { cart { ...CartFields } }`;

/** A gate a test opens when it is ready; `reached` resolves when someone waits at it. */
export function latch() {
  let open!: () => void;
  let markReached!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (markReached = resolve));
  return {
    open,
    reached,
    wait: () => {
      markReached();
      return opened;
    },
  };
}
