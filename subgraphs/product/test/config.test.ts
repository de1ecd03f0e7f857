import path from 'node:path';
import { ConfigError } from '@shop/shared';
import { loadProductConfig } from '../src/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadProductConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('product configuration', () => {
  test('defaults run it locally: ports 4001 and 50051 on loopback, catalog in .local, seeded', () => {
    const config = loadProductConfig({});
    expect(config).toMatchObject({
      port: 4001,
      grpcPort: 50051,
      host: '127.0.0.1',
      seed: true,
      inventoryGrpcUrl: '127.0.0.1:50053',
      inventoryDeadlineMs: 2000,
      databaseUrl: `file:${path.resolve(__dirname, '../../../.local/product.db')}`,
    });
  });

  test('port 0 asks for any free port (how tests start it)', () => {
    expect(loadProductConfig({ PORT: '0', GRPC_PORT: '0' })).toMatchObject({
      port: 0,
      grpcPort: 0,
    });
  });

  test.each([
    ['PORT', 'abc'],
    ['PORT', ''],
    ['PORT', '70000'],
    ['GRPC_PORT', '-1'],
  ])('%s=%j is refused naming the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: expected a port number from 0 to 65535`));
  });

  test.each(['http://x', 'postgres://localhost/product', 'file:', 'file::memory:'])(
    'PRODUCT_DATABASE_URL=%j is refused naming the variable and the expected form',
    (url) => {
      const problems = problemsOf({ PRODUCT_DATABASE_URL: url });
      expect(problems).toEqual([
        `PRODUCT_DATABASE_URL: expected a SQLite file URL such as file:/var/lib/shop/product.db (got ${JSON.stringify(url)})`,
      ]);
    },
  );

  test('a relative file URL is made absolute, so Prisma and the migration runner open the same file', () => {
    const config = loadProductConfig({ PRODUCT_DATABASE_URL: 'file:./data/catalog.db' });
    expect(config.databaseUrl).toBe(`file:${path.resolve('data/catalog.db')}`);
  });

  test('every bad variable is reported at once', () => {
    const problems = problemsOf({ PORT: 'x', JWT_SECRET: 'short', PRODUCT_SEED: 'maybe' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'JWT_SECRET',
      'PORT',
      'PRODUCT_SEED',
    ]);
  });
});
