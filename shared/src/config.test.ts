import { ConfigError, env, loadConfig } from './config';

const shape = {
  PORT: env.port(4001),
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  POSTGRES_URL: env.url('postgres://localhost/db', ['postgres', 'postgresql']),
  JWT_SECRET: env.jwtSecret(),
  CACHE: env.boolean(true),
};

describe('configuration', () => {
  test('defaults apply when nothing is set', () => {
    const config = loadConfig(shape, {});
    expect(config).toMatchObject({ PORT: 4001, KAFKA_BROKERS: ['127.0.0.1:9092'], CACHE: true });
  });

  test('every bad value is reported by name, with what was given', () => {
    let error: unknown;
    try {
      loadConfig(shape, {
        PORT: 'abc',
        KAFKA_BROKERS: 'no-port',
        POSTGRES_URL: 'http://user:hunter2@x',
        JWT_SECRET: 'short',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT: .*\(got "abc"\)/);
    expect(message).toMatch(/KAFKA_BROKERS/);
    expect(message).toMatch(/POSTGRES_URL: expected a postgres or postgresql URL/);
    expect(message).not.toContain('hunter2');
    expect(message).toMatch(/JWT_SECRET: must be at least 32 characters \(value hidden\)/);
    expect(message).not.toContain('short');
  });

  test('the public local JWT secret is refused in production', () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(() => loadConfig(shape, {})).toThrow(/JWT_SECRET: is the public local default/);
      expect(loadConfig(shape, { JWT_SECRET: 'x'.repeat(40) }).JWT_SECRET).toBe('x'.repeat(40));
    } finally {
      process.env.NODE_ENV = before;
    }
  });
});
