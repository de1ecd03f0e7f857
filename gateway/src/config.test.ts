import path from 'node:path';
import { ConfigError } from '@shop/shared';
import { loadGatewayConfig, subgraphUrlOverrides } from './config';

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
    expect(config).toMatchObject({ PORT: 4000, HOST: '127.0.0.1', REQUEST_BODY_LIMIT: '1mb' });
    expect(subgraphUrlOverrides(config).size).toBe(0);
  });

  it('resolves a relative SUPERGRAPH_PATH against the working directory', () => {
    const relative = path.relative(process.cwd(), __filename);
    expect(loadGatewayConfig({ SUPERGRAPH_PATH: relative }).SUPERGRAPH_PATH).toBe(__filename);
  });

  it('accepts PORT=0 (any free port, for tests)', () => {
    expect(loadGatewayConfig({ SUPERGRAPH_PATH, PORT: '0' }).PORT).toBe(0);
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
});
