import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ConfigError, LOCAL_JWT_SECRET } from '@shop/shared';
import { DEFAULT_INTERNAL_PORT, loadGatewayConfig, subgraphUrlOverrides } from './config';

/**
 * A JWT secret made for this run (any 32+ characters pass validation): no secret, not even a
 * test's, is written into the repository.
 */
const runSecret = () => randomBytes(24).toString('base64url');

/** The problems a bad environment produces, or a failure if it loaded. */
function problems(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

// A file that exists, so tests about other variables do not depend on the committed supergraph.
const SUPERGRAPH_PATH = __filename;

describe('gateway configuration', () => {
  it('has local defaults: port 4000 on loopback, the committed supergraph, no overrides', () => {
    const config = loadGatewayConfig({ SUPERGRAPH_PATH });
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', requestBodyLimit: '1mb' });
    expect(subgraphUrlOverrides(config).size).toBe(0);
  });

  it('resolves a relative SUPERGRAPH_PATH against the working directory', () => {
    const relative = path.relative(process.cwd(), __filename);
    expect(loadGatewayConfig({ SUPERGRAPH_PATH: relative }).supergraphPath).toBe(__filename);
  });

  it('accepts PORT=0 (any free port, for tests)', () => {
    expect(loadGatewayConfig({ SUPERGRAPH_PATH, PORT: '0' }).port).toBe(0);
  });

  it.each([
    ['PORT', 'abc', /PORT: expected a port number/],
    ['PORT', '', /PORT: expected a port number/],
    ['PORT', '70000', /PORT: expected a port number from 0 to 65535/],
    // The value of a secret is never echoed back, even when it is wrong.
    ['JWT_SECRET', 'short', /JWT_SECRET: must be at least 32 characters \(value hidden\)/],
    ['JWT_JWKS_URL', 'not a url', /JWT_JWKS_URL: expected an http\(s\) URL/],
    [
      'PRODUCT_SUBGRAPH_URL',
      'ftp://example.com/graphql',
      /PRODUCT_SUBGRAPH_URL: expected an http\(s\) URL/,
    ],
    ['ORDERS_SUBGRAPH_URL', 'orders:4004', /ORDERS_SUBGRAPH_URL: expected an http\(s\) URL/],
    ['REQUEST_BODY_LIMIT', 'lots', /REQUEST_BODY_LIMIT: expected a size/],
    ['SUBGRAPH_TIMEOUT_MS', '-1', /SUBGRAPH_TIMEOUT_MS/],
    [
      'SUPERGRAPH_PATH',
      '/nonexistent/supergraph.graphql',
      /SUPERGRAPH_PATH: the supergraph file does not exist/,
    ],
  ])('refuses %s=%j with a ConfigError naming it', (name, value, expected) => {
    const found = problems({ SUPERGRAPH_PATH, [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  it('reports every bad variable at once', () => {
    const found = problems({ SUPERGRAPH_PATH, PORT: 'abc', JWT_SECRET: 'short' });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual(['JWT_SECRET', 'PORT']);
  });

  it('collects the subgraph URL overrides that are set, by subgraph name', () => {
    const config = loadGatewayConfig({
      SUPERGRAPH_PATH,
      PRODUCT_SUBGRAPH_URL: 'http://product:4001/graphql',
      CHECKOUT_SUBGRAPH_URL: 'https://checkout.internal/graphql',
    });
    expect(Object.fromEntries(subgraphUrlOverrides(config))).toEqual({
      product: 'http://product:4001/graphql',
      checkout: 'https://checkout.internal/graphql',
    });
  });

  it('maps every variable onto its camelCase setting', () => {
    const secret = runSecret();
    const config = loadGatewayConfig({
      NODE_ENV: 'development',
      INTROSPECTION: 'false',
      LANDING_PAGE: '0',
      INTERNAL_PORT: '9500',
      CORS_ORIGINS: 'https://shop.example.com, https://admin.example.com',
      PORT: '4100',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'warn',
      JWT_SECRET: secret,
      JWT_JWKS_URL: 'https://idp.example.com/jwks',
      JWT_ISSUER: 'https://idp.example.com/',
      JWT_AUDIENCE: 'shop-api',
      SUPERGRAPH_PATH,
      ORDERS_SUBGRAPH_URL: 'http://orders:4004/graphql',
      REQUEST_BODY_LIMIT: '100kb',
      SUBGRAPH_TIMEOUT_MS: '1500',
      SUBSCRIPTIONS_ENABLED: 'false',
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
      ORDER_EVENTS_TOPIC: 'order-events-x',
      GATEWAY_MAX_DEPTH: '1',
      GATEWAY_MAX_NESTING: '2',
      GATEWAY_MAX_ALIASES: '3',
      GATEWAY_MAX_ROOT_FIELDS: '4',
      GATEWAY_MAX_TOKENS: '5',
      GATEWAY_MAX_DIRECTIVES: '6',
      COST_MAX: '7',
      COST_DEFAULT_LIST_SIZE: '8',
      COST_PLAN_CACHE_SIZE: '9',
      RATE_LIMIT_ENABLED: 'false',
      REDIS_URL: 'rediss://redis.internal:6380',
      RATE_LIMIT_POINTS: '10',
      RATE_LIMIT_WINDOW_SECONDS: '11',
      CHECKOUT_RATE_LIMIT_POINTS: '12',
      CHECKOUT_RATE_LIMIT_WINDOW_SECONDS: '13',
      RATE_LIMIT_PREFIX: 'rl-x',
      TRUSTED_PROXIES: 'loopback',
      REQUEST_TIMEOUT_MS: '14',
      PERSISTED_QUERIES: 'safelist',
      PERSISTED_QUERY_MANIFEST: __filename,
      PERSISTED_QUERY_TTL_SECONDS: '15',
      PERSISTED_QUERY_PREFIX: 'apq-x',
      BREAKER_ERROR_PERCENT: '16',
      BREAKER_VOLUME_THRESHOLD: '17',
      BREAKER_RESET_MS: '18',
      WS_MAX_PAYLOAD_BYTES: '19',
      WS_CONNECTION_INIT_TIMEOUT_MS: '20',
      WS_KEEPALIVE_MS: '21',
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '22',
      WS_MAX_CONNECTIONS_PER_USER: '23',
      WS_MAX_BUFFERED_BYTES: '24',
      WS_MAX_QUEUED_MESSAGES: '25',
      SUBSCRIPTION_READ_CONCURRENCY: '26',
      TOKEN_CACHE_MAX: '27',
      PUBLIC_CACHE_SUBGRAPHS: 'product, cart',
      PUBLIC_CACHE_TTL_MS: '28',
      PUBLIC_CACHE_MAX: '29',
      GATEWAY_WORKERS: '3',
    });
    expect(config).toEqual({
      port: 4100,
      host: '0.0.0.0',
      logLevel: 'warn',
      jwt: {
        secret,
        jwksUrl: 'https://idp.example.com/jwks',
        issuer: 'https://idp.example.com/',
        audience: 'shop-api',
      },
      production: false,
      introspection: false,
      landingPage: false,
      internalPort: 9500,
      corsOrigins: ['https://shop.example.com', 'https://admin.example.com'],
      supergraphPath: __filename,
      subgraphUrls: { orders: 'http://orders:4004/graphql' },
      requestBodyLimit: '100kb',
      subgraphTimeoutMs: 1500,
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9092'],
      topics: { orderEvents: 'order-events-x' },
      subscriptions: {
        enabled: false,
        limits: {
          maxPayloadBytes: 19,
          connectionInitTimeoutMs: 20,
          keepaliveMs: 21,
          maxSubscriptionsPerConnection: 22,
          maxConnectionsPerUser: 23,
          maxBufferedBytes: 24,
          maxQueuedMessages: 25,
          readConcurrency: 26,
        },
      },
      operationLimits: {
        maxDepth: 1,
        maxNesting: 2,
        maxAliases: 3,
        maxRootFields: 4,
        maxTokens: 5,
        maxDirectives: 6,
      },
      cost: { max: 7, defaultListSize: 8, planCacheSize: 9 },
      redisUrl: 'rediss://redis.internal:6380',
      rateLimit: {
        enabled: false,
        prefix: 'rl-x',
        points: 10,
        windowSeconds: 11,
        checkoutPoints: 12,
        checkoutWindowSeconds: 13,
      },
      trustedProxies: 'loopback',
      requestTimeoutMs: 14,
      persistedQueries: {
        mode: 'safelist',
        manifestPath: __filename,
        ttlSeconds: 15,
        prefix: 'apq-x',
      },
      breaker: { errorPercent: 16, volumeThreshold: 17, resetMs: 18 },
      tokenCache: { maxEntries: 27 },
      publicCache: { subgraphs: ['product', 'cart'], ttlMs: 28, maxEntries: 29 },
      workers: 3,
    });
  });

  it('runs one gateway process unless GATEWAY_WORKERS says more; `auto` is one per core', () => {
    expect(loadGatewayConfig({ SUPERGRAPH_PATH }).workers).toBe(1);
    expect(loadGatewayConfig({ SUPERGRAPH_PATH, GATEWAY_WORKERS: 'auto' }).workers).toBe(
      availableParallelism(),
    );
    for (const bad of ['0', '65', '1.5', 'many']) {
      expect(problems({ SUPERGRAPH_PATH, GATEWAY_WORKERS: bad })).toEqual([
        expect.stringMatching(/^GATEWAY_WORKERS: /),
      ]);
    }
  });

  it('flips the unsafe local defaults under NODE_ENV=production', () => {
    expect(loadGatewayConfig({ SUPERGRAPH_PATH })).toMatchObject({
      production: false,
      introspection: true,
      landingPage: true,
      internalPort: undefined,
      corsOrigins: ['*'],
      jwt: { secret: LOCAL_JWT_SECRET },
    });
    expect(
      loadGatewayConfig({ SUPERGRAPH_PATH, NODE_ENV: 'production', JWT_SECRET: runSecret() }),
    ).toMatchObject({
      production: true,
      introspection: false,
      landingPage: false,
      internalPort: DEFAULT_INTERNAL_PORT,
      corsOrigins: [],
    });
    // An explicit setting wins over the profile's default, either way.
    expect(
      loadGatewayConfig({
        SUPERGRAPH_PATH,
        NODE_ENV: 'production',
        INTROSPECTION: 'true',
        INTERNAL_PORT: '0',
        CORS_ORIGINS: '*',
      }),
    ).toMatchObject({ introspection: true, internalPort: 0, corsOrigins: ['*'] });
  });
});
