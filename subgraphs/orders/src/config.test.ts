import { ConfigError } from '@shop/shared';
import { loadOrdersConfig } from './config';

describe('orders configuration', () => {
  test('runs locally with no environment at all', () => {
    expect(loadOrdersConfig({})).toMatchObject({
      port: 4004,
      host: '127.0.0.1',
      postgresUrl: 'postgres://postgres:postgres@127.0.0.1:5432/shop_orders',
      kafkaBrokers: ['127.0.0.1:9092'],
      topics: {
        checkoutEvents: 'checkout-events',
        checkoutEventsDlq: 'checkout-events.dlq',
        orderEvents: 'order-events',
      },
      consumer: { enabled: true, groupId: 'orders-service', maxAttempts: 5 },
      outboxRelayEnabled: true,
      migrateOnStart: true,
    });
  });

  test('a bad value stops start-up naming every offending variable', () => {
    const load = () =>
      loadOrdersConfig({
        POSTGRES_URL: 'mysql://localhost/orders',
        CONSUMER_MAX_ATTEMPTS: '0',
        OUTBOX_RELAY_ENABLED: 'yes',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/POSTGRES_URL: expected a postgres or postgresql URL/);
    expect(load).toThrow(/CONSUMER_MAX_ATTEMPTS/);
    expect(load).toThrow(/OUTBOX_RELAY_ENABLED/);
  });

  test('the refund saga: stubs on loopback, three refusals; the crash switch only under NODE_ENV=test', () => {
    expect(loadOrdersConfig({}).refunds).toMatchObject({
      enabled: true,
      groupId: 'orders-refunds',
      paymentGrpcUrl: '127.0.0.1:50054',
      inventoryGrpcUrl: '127.0.0.1:50053',
      maxAttempts: 3,
    });
    expect(() => loadOrdersConfig({ ORDERS_CRASH_AT: 'AFTER_REFUND' })).toThrow(/ORDERS_CRASH_AT/);
    expect(() => loadOrdersConfig({ ORDERS_CRASH_AT: 'SOMEWHERE', NODE_ENV: 'test' })).toThrow(
      /ORDERS_CRASH_AT/,
    );
    expect(loadOrdersConfig({ ORDERS_CRASH_AT: 'AFTER_REFUND', NODE_ENV: 'test' }).crashAt).toBe(
      'AFTER_REFUND',
    );
  });
});
