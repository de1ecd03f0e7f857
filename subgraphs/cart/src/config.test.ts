import { ConfigError } from '@shop/shared';
import { loadCartConfig } from './config';

describe('cart configuration', () => {
  it('defaults to the documented ports and servers (docs/design-decisions.md), with the cache on', () => {
    expect(loadCartConfig({})).toMatchObject({
      port: 4002,
      grpcPort: 50052,
      mongoUrl: 'mongodb://127.0.0.1:27017/shop',
      cache: { enabled: true, redisUrl: 'redis://127.0.0.1:6379' },
      grpc: { product: '127.0.0.1:50051' },
    });
  });

  it('CART_CACHE_ENABLED=false turns the cache off', () => {
    expect(loadCartConfig({ CART_CACHE_ENABLED: 'false' }).cache.enabled).toBe(false);
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
