import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { createTokenVerifier, type RunningSubgraph } from '@shop/shared';
import { TEST_JWT_SECRET, testToken } from '@shop/shared/src/testing';
import type { RunningGateway } from '../src/service';
import {
  post,
  startGateway,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
  type GraphQLHttpResult,
} from './support';

const WHOAMI = '{ whoami { userId scopes } }';

/** Base64url of JSON, for hand-made tokens that no library would agree to sign. */
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

function expectRefused(result: GraphQLHttpResult) {
  expect(result.status).toBe(401);
  expect(result.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  expect(result.body.data ?? undefined).toBeUndefined();
  expect(result.body.errors).toHaveLength(1);
  expect(result.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  return result.body.errors?.[0]?.message;
}

describe('gateway authentication (HS256)', () => {
  const files = new SupergraphFiles();
  let subgraph: RunningSubgraph;
  let gateway: RunningGateway;

  beforeAll(async () => {
    subgraph = await startWhoamiSubgraph();
    const supergraph = files.write([{ name: 'product', url: subgraph.url, sdl: WHOAMI_SDL }]);
    gateway = await startGateway({ SUPERGRAPH_PATH: supergraph });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraph?.stop();
    files.remove();
  });

  it('serves public fields without a token', async () => {
    const result = await post(gateway.url, '{ ping }');
    expect(result).toMatchObject({ status: 200, body: { data: { ping: 'pong' } } });
  });

  it('lets a request without a token through, and the subgraph refuses its protected field', async () => {
    const result = await post(gateway.url, WHOAMI);
    expect(result.status).toBe(200);
    expect(result.body.errors?.[0]).toMatchObject({
      path: ['whoami'],
      extensions: { code: 'UNAUTHENTICATED', serviceName: 'product' },
    });
  });

  it('forwards a valid token, and the subgraph verifies it and sees the same sub and scopes', async () => {
    const token = await testToken('user-gw-1', { scope: 'admin orders' });
    const result = await post(gateway.url, WHOAMI, { authorization: `Bearer ${token}` });
    expect(result).toMatchObject({
      status: 200,
      body: { data: { whoami: { userId: 'user-gw-1', scopes: ['admin', 'orders'] } } },
    });
  });

  it('refuses an expired token with 401 UNAUTHENTICATED', async () => {
    const token = await testToken('user-gw-2', { expiresIn: nowSeconds() - 60 });
    const message = expectRefused(
      await post(gateway.url, WHOAMI, { authorization: `Bearer ${token}` }),
    );
    expect(message).toMatch(/expired/);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await testToken('user-gw-3', {
      secret: 'another-secret-of-at-least-32-characters!',
    });
    const message = expectRefused(
      await post(gateway.url, WHOAMI, { authorization: `Bearer ${token}` }),
    );
    expect(message).toMatch(/signature/);
  });

  it('refuses an unsigned alg:none token even on a public field', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin', scope: 'admin', exp: nowSeconds() + 3600 })}.`;
    const message = expectRefused(
      await post(gateway.url, '{ ping }', { authorization: `Bearer ${token}` }),
    );
    expect(message).toMatch(/algorithm|malformed/);
  });

  it('refuses a token whose header claims HS256 but carries an alg:none style empty signature', async () => {
    const token = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'admin', exp: nowSeconds() + 3600 })}.`;
    expectRefused(await post(gateway.url, WHOAMI, { authorization: `Bearer ${token}` }));
  });

  it.each([
    ['a scheme other than Bearer', 'Basic dXNlcjpwYXNz'],
    ['Bearer without a token', 'Bearer'],
    ['a token that is not a JWT', 'Bearer not-a-jwt'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
  ])('refuses a malformed Authorization header (%s) with 401, not 500', async (_case, header) => {
    expectRefused(await post(gateway.url, '{ ping }', { authorization: header }));
  });
});

describe('gateway authentication (RS256 via JWKS)', () => {
  const files = new SupergraphFiles();
  let jwksServer: http.Server;
  let subgraph: RunningSubgraph;
  let gateway: RunningGateway;
  let privateKey: KeyLike;

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256');
    privateKey = keys.privateKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwksServer = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    subgraph = await startWhoamiSubgraph(createTokenVerifier({ secret: TEST_JWT_SECRET, jwksUrl }));
    const supergraph = files.write([{ name: 'product', url: subgraph.url, sdl: WHOAMI_SDL }]);
    gateway = await startGateway({ SUPERGRAPH_PATH: supergraph, JWT_JWKS_URL: jwksUrl });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraph?.stop();
    await new Promise((resolve) => jwksServer?.close(resolve));
    files.remove();
  });

  const rs256Token = (sub: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setSubject(sub)
      .setExpirationTime('5m')
      .sign(privateKey);

  it('accepts an RS256 token signed by a key in the JWKS and forwards it', async () => {
    const token = await rs256Token('user-rs-1');
    const result = await post(gateway.url, WHOAMI, { authorization: `Bearer ${token}` });
    expect(result.body).toMatchObject({ data: { whoami: { userId: 'user-rs-1', scopes: [] } } });
  });

  it('refuses an HS256 token once JWKS is configured (no algorithm confusion)', async () => {
    const token = await testToken('user-rs-2');
    expectRefused(await post(gateway.url, WHOAMI, { authorization: `Bearer ${token}` }));
  });
});
