import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { loadProductConfig, type ProductService } from '@shop/product-subgraph';
import { loadCartConfig } from '@shop/cart-subgraph/src/config';
import { loadCheckoutConfig } from '@shop/checkout-subgraph/src/config';
import { loadOrdersConfig } from '@shop/orders-subgraph/src/config';
import { LOCAL_JWT_SECRET, type RunningSubgraph } from '@shop/shared';
import { TEST_JWT_SECRET } from '@shop/shared/src/testing';
import type { RunningGateway } from '../src/service';
import {
  post,
  startGateway,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
  startProductService,
} from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRIES = [
  'gateway/src/index.ts',
  'subgraphs/product/src/index.ts',
  'subgraphs/cart/src/index.ts',
  'subgraphs/checkout/src/index.ts',
  'subgraphs/orders/src/index.ts',
];

/** Runs an entry point as `npm start` would, and reports how it ended. */
function run(
  entry: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('production profile (NODE_ENV=production)', () => {
  describe('no default secret', () => {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !['JWT_SECRET', 'JEST_WORKER_ID'].includes(k)),
    );
    it.each([
      ['missing', {}],
      ['the public local default', { JWT_SECRET: LOCAL_JWT_SECRET }],
    ])(
      'every process exits 78 naming JWT_SECRET when it is %s',
      async (_what, secret) => {
        const results = await Promise.all(
          ENTRIES.map(
            async (entry) =>
              [
                entry,
                await run(entry, {
                  ...base,
                  ...secret,
                  NODE_ENV: 'production',
                  PORT: '0',
                  GRPC_PORT: '0',
                  INTERNAL_PORT: '0',
                }),
              ] as const,
          ),
        );
        for (const [entry, { code, stderr }] of results) {
          expect([entry, code]).toEqual([entry, 78]);
          expect(stderr).toMatch(/JWT_SECRET: is the public local default/);
        }
      },
      300_000,
    );
  });

  describe('the gateway', () => {
    const files = new SupergraphFiles();
    let subgraph: RunningSubgraph;
    let production: RunningGateway;
    let local: RunningGateway;

    beforeAll(async () => {
      subgraph = await startWhoamiSubgraph();
      const supergraph = files.write([{ name: 'whoami', url: subgraph.url, sdl: WHOAMI_SDL }]);
      const common = { SUPERGRAPH_PATH: supergraph, RATE_LIMIT_ENABLED: 'false' };
      [production, local] = await Promise.all([
        startGateway({ ...common, NODE_ENV: 'production', INTERNAL_PORT: '0' }),
        startGateway(common),
      ]);
    });
    afterAll(async () => {
      await production?.stop();
      await local?.stop();
      await subgraph?.stop();
      files.remove();
    });

    it('refuses introspection, which the local profile serves', async () => {
      const query = '{ __schema { queryType { name } } }';
      const refused = await post(production.url, query);
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(refused.body.errors?.[0]?.message).toMatch(/introspection is not allowed/i);
      expect((await post(local.url, query)).body.data).toEqual({
        __schema: { queryType: { name: 'Query' } },
      });
    });

    it('serves no Sandbox landing page', async () => {
      const page = (gw: RunningGateway) =>
        fetch(gw.url, { headers: { accept: 'text/html' } }).then(async (r) => r.text());
      expect(await page(local)).toMatch(/sandbox/i);
      expect(await page(production)).not.toMatch(/sandbox/i);
    });

    it('hides "did you mean" hints in validation errors', async () => {
      const typo = await post(production.url, '{ pin }');
      expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "pin" on type "Query".');
      expect((await post(local.url, '{ pin }')).body.errors?.[0]?.message).toMatch(
        /Did you mean "ping"\?/,
      );
    });

    it('serves /metrics and /health/subgraphs only on the internal port', async () => {
      const publicBase = new URL(production.url).origin;
      expect((await fetch(`${publicBase}/metrics`)).status).toBe(404);
      expect((await fetch(`${publicBase}/health/subgraphs`)).status).toBe(404);
      expect((await fetch(`${publicBase}/health/live`)).status).toBe(200);
      expect(production.internalUrl).toBeDefined();
      const metrics = await fetch(`${production.internalUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/gateway_operations_refused_total/);
      expect((await fetch(`${production.internalUrl}/health/subgraphs`)).status).toBe(200);
      // Locally they stay where they were.
      expect((await fetch(`${new URL(local.url).origin}/metrics`)).status).toBe(200);
    });

    it('sends CORS headers only for configured origins', async () => {
      const preflight = (gw: RunningGateway, origin: string) =>
        fetch(gw.url, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type,authorization',
          },
        }).then((r) => r.headers.get('access-control-allow-origin'));
      expect(await preflight(local, 'https://studio.apollographql.com')).toBe('*');
      expect(await preflight(production, 'https://evil.example')).toBeNull();

      const shop = await startGateway({
        SUPERGRAPH_PATH: files.write([{ name: 'whoami', url: subgraph.url, sdl: WHOAMI_SDL }]),
        RATE_LIMIT_ENABLED: 'false',
        NODE_ENV: 'production',
        INTERNAL_PORT: '0',
        CORS_ORIGINS: 'https://shop.example.com, https://admin.example.com',
      });
      try {
        expect(await preflight(shop, 'https://shop.example.com')).toBe('https://shop.example.com');
        expect(await preflight(shop, 'https://evil.example')).toBeNull();
      } finally {
        await shop.stop();
      }
    });
  });

  describe('issuer and audience, one setting for the gateway and every subgraph', () => {
    const SETTING = { JWT_ISSUER: 'https://idp.shop.test/', JWT_AUDIENCE: 'shop-api' };
    const sign = (claims: { iss?: string; aud?: string }) => {
      const jwt = new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setExpirationTime('5m');
      if (claims.iss) jwt.setIssuer(claims.iss);
      if (claims.aud) jwt.setAudience(claims.aud);
      return jwt.sign(new TextEncoder().encode(TEST_JWT_SECRET));
    };
    const good = () => sign({ iss: SETTING.JWT_ISSUER, aud: SETTING.JWT_AUDIENCE });

    it('is read by every subgraph from the same variables, and JWKS_URL still works with a warning', () => {
      const env = {
        ...SETTING,
        JWT_SECRET: TEST_JWT_SECRET,
        JWT_JWKS_URL: 'https://idp.shop.test/jwks',
      };
      const expected = {
        secret: TEST_JWT_SECRET,
        jwksUrl: 'https://idp.shop.test/jwks',
        issuer: SETTING.JWT_ISSUER,
        audience: SETTING.JWT_AUDIENCE,
      };
      expect(loadProductConfig(env).jwt).toEqual(expected);
      expect(loadCheckoutConfig(env).jwt).toEqual(expected);
      expect(loadOrdersConfig(env).jwt).toEqual(expected);
      expect(loadCartConfig(env).jwt).toEqual(expected);
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const { JWT_JWKS_URL: _new, ...old } = env;
        expect(
          loadOrdersConfig({ ...old, JWKS_URL: 'https://idp.shop.test/jwks' }).jwt.jwksUrl,
        ).toBe('https://idp.shop.test/jwks');
      } finally {
        warn.mockRestore();
      }
    });

    it('refuses a token with another issuer or audience at the gateway (401) and at a real subgraph', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'gateway-iss-'));
      const files = new SupergraphFiles();
      let product: ProductService | undefined;
      let gateway: RunningGateway | undefined;
      try {
        product = await startProductService(path.join(dir, 'product.db'), {
          ...SETTING,
          PRODUCT_SEED: 'false',
        });
        const productUrl = product.graphqlUrl;
        const sdl = readFileSync(path.join(ROOT, 'subgraphs', 'product', 'schema.graphql'), 'utf8');
        gateway = await startGateway({
          ...SETTING,
          SUPERGRAPH_PATH: files.write([{ name: 'product', url: productUrl, sdl }]),
          RATE_LIMIT_ENABLED: 'false',
        });
        const QUERY = '{ product(id: "none") { id } }';
        const bearer = async (token: Promise<string>) => ({
          authorization: `Bearer ${await token}`,
        });

        expect((await post(gateway.url, QUERY, await bearer(good()))).body).toMatchObject({
          data: { product: null },
        });
        for (const bad of [
          sign({ aud: SETTING.JWT_AUDIENCE }),
          sign({ iss: 'https://elsewhere/', aud: SETTING.JWT_AUDIENCE }),
          sign({ iss: SETTING.JWT_ISSUER, aud: 'another-api' }),
        ]) {
          const headers = await bearer(bad);
          const atGateway = await post(gateway.url, QUERY, headers);
          expect(atGateway.status).toBe(401);
          expect(atGateway.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
          // Straight at the subgraph, past the gateway: refused there too.
          const atSubgraph = await post(productUrl, QUERY, headers);
          expect(atSubgraph.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        }
        expect((await post(productUrl, QUERY, await bearer(good()))).body).toMatchObject({
          data: { product: null },
        });
      } finally {
        await gateway?.stop();
        await product?.stop();
        files.remove();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 30_000);
  });
});
