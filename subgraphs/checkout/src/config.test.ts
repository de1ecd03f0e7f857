import { ConfigError } from '@shop/shared';
import { loadCheckoutConfig } from './config';

describe('checkout configuration', () => {
  test('defaults run locally: port 4003, 30 s inventory and 60 s payment deadlines', () => {
    const config = loadCheckoutConfig({});
    expect(config.port).toBe(4003);
    expect(config.deadlines).toMatchObject({ inventoryMs: 30_000, paymentMs: 60_000 });
    expect(config.checkoutEventsTopic).toBe('checkout-events');
    expect(config.postgresUrl).toBe('postgres://postgres:postgres@127.0.0.1:5432/shop_checkout');
    expect(config.outboxRelayEnabled).toBe(true);
    expect(config.crashAt).toBeUndefined();
  });

  test('a duplicate waits, by default, as long as the slowest saga could take', () => {
    const config = loadCheckoutConfig({ INVENTORY_DEADLINE_MS: '100', PAYMENT_DEADLINE_MS: '200' });
    expect(config.checkoutWaitMs).toBe(5_000 + 5_000 + 2 * 100 + 2 * 200 + 5_000);
  });

  test('a malformed value is refused with its name', () => {
    expect(() => loadCheckoutConfig({ PAYMENT_GRPC_URL: 'payment' })).toThrow(/PAYMENT_GRPC_URL/);
    expect(() => loadCheckoutConfig({ POSTGRES_URL: 'mysql://x/y' })).toThrow(/POSTGRES_URL/);
    expect(() => loadCheckoutConfig({ CHECKOUT_CRASH_AT: 'SOMEWHERE', NODE_ENV: 'test' })).toThrow(
      /CHECKOUT_CRASH_AT/,
    );
  });

  test('the crash switch is refused outside tests', () => {
    expect(() => loadCheckoutConfig({ CHECKOUT_CRASH_AT: 'PAYMENT_PENDING' })).toThrow(ConfigError);
    expect(() =>
      loadCheckoutConfig({ CHECKOUT_CRASH_AT: 'PAYMENT_PENDING', NODE_ENV: 'production' }),
    ).toThrow(/test-only/);
    expect(
      loadCheckoutConfig({ CHECKOUT_CRASH_AT: 'PAYMENT_PENDING', NODE_ENV: 'test' }).crashAt,
    ).toBe('PAYMENT_PENDING');
  });
});
