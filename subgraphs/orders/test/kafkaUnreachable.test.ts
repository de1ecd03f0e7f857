import {
  createTestDatabase,
  graphqlRequest,
  TEST_JWT_SECRET,
  testToken,
  uniqueName,
} from '@shop/shared/src/testing';
import { loadOrdersConfig } from '../src/config';
import { createOrdersService, type OrdersService } from '../src/service';
import { checkoutCompleted, silentLogger } from './support';

describe('orders subgraph with Kafka unreachable at start', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let service: OrdersService;

  beforeAll(async () => {
    db = await createTestDatabase('orders_nokafka');
    service = await createOrdersService(
      loadOrdersConfig({
        PORT: '0',
        JWT_SECRET: TEST_JWT_SECRET,
        POSTGRES_URL: db.url,
        KAFKA_BROKERS: '127.0.0.1:1', // nothing listens there
        CONSUMER_GROUP: uniqueName('orders-service'),
      }),
      { logger: silentLogger },
    );
  }, 90_000);

  afterAll(async () => {
    await service.stop();
    await db.drop();
  });

  test('still serves orders from PostgreSQL and stays ready, showing the consumer is not running', async () => {
    const userId = uniqueName('user');
    const created = await service.store.createFromCheckout(checkoutCompleted({ userId }));
    expect(created.created).toBe(true);
    const res = await graphqlRequest(
      service.graphqlUrl,
      '{ orders { edges { node { status } } } }',
      {},
      await testToken(userId),
    );
    expect(res.data).toEqual({ orders: { edges: [{ node: { status: 'CONFIRMED' } }] } });

    // In rotation: the API needs PostgreSQL only, and every replica shares the same Kafka.
    const ready = await fetch(service.graphqlUrl.replace('/graphql', '/health/ready'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ok',
      checks: { postgres: 'ok' },
      consumers: { 'checkout-events': 'not running', 'order-cancellations': 'not running' },
    });
    expect(service.consumer?.isRunning()).toBe(false);
  });
});
