import { ConfigError } from '@shop/shared';
import { loadCartConfig } from './config';

describe('cart configuration', () => {
  it('defaults to the documented ports and servers (docs/design-decisions.md), with the cache on', () => {
    expect(loadCartConfig({})).toMatchObject({
      PORT: 4002,
      GRPC_PORT: 50052,
      MONGO_URL: 'mongodb://127.0.0.1:27017/shop',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PRODUCT_GRPC_URL: '127.0.0.1:50051',
      CART_CACHE_ENABLED: true,
    });
  });

  it('CART_CACHE_ENABLED=false turns the cache off', () => {
    expect(loadCartConfig({ CART_CACHE_ENABLED: 'false' }).CART_CACHE_ENABLED).toBe(false);
  });

  it('names every malformed variable', () => {
    try {
      loadCartConfig({
        MONGO_URL: 'http://db',
        PRODUCT_GRPC_URL: 'catalog',
        CART_CACHE_ENABLED: 'yes',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['MONGO_URL', 'PRODUCT_GRPC_URL', 'CART_CACHE_ENABLED']) {
        expect(problems).toContain(name);
      }
    }
  });
});
