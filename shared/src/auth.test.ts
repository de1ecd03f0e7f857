import { SignJWT } from 'jose';
import { createTokenVerifier, mintToken, viewerFromHeader, requireScope, AuthError } from './auth';

const secret = 'unit-test-secret-that-is-long-enough-123';
const verify = createTokenVerifier({ secret });
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('token verification', () => {
  test('a valid token yields the user id and scopes', async () => {
    const token = await mintToken(secret, { sub: 'user-1', scope: 'admin read' });
    const viewer = await verify(token);
    expect(viewer.userId).toBe('user-1');
    expect([...viewer.scopes]).toEqual(['admin', 'read']);
  });

  test('an expired token is refused with a message saying so', async () => {
    const token = await mintToken(secret, { sub: 'user-1' }, Math.floor(Date.now() / 1000) - 60);
    await expect(verify(token)).rejects.toThrow('The token has expired; mint a new one.');
  });

  test('a token signed with another secret is refused', async () => {
    const token = await mintToken('another-secret-that-is-long-enough-456', { sub: 'user-1' });
    await expect(verify(token)).rejects.toThrow('The token signature is not valid.');
  });

  test('an unsigned alg:none token is refused', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin', scope: 'admin', exp })}.`;
    await expect(verify(token)).rejects.toBeInstanceOf(AuthError);
  });

  test('a token without exp or without sub is refused', async () => {
    const key = new TextEncoder().encode(secret);
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .sign(key);
    await expect(verify(noExp)).rejects.toThrow(/"exp"/);
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(key);
    await expect(verify(noSub)).rejects.toThrow(/"sub"/);
  });

  test('a bad header is UNAUTHENTICATED; no header is an anonymous viewer', async () => {
    await expect(viewerFromHeader(verify, undefined)).resolves.toBeUndefined();
    await expect(viewerFromHeader(verify, 'Basic abc')).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    await expect(viewerFromHeader(verify, 'Bearer not-a-jwt')).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  test('requireScope refuses a viewer without the scope as FORBIDDEN', async () => {
    const viewer = await verify(await mintToken(secret, { sub: 'user-1' }));
    expect(() => requireScope(viewer, 'admin')).toThrow(
      expect.objectContaining({ extensions: { code: 'FORBIDDEN' } }),
    );
    expect(() => requireScope(undefined, 'admin')).toThrow(
      expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } }),
    );
  });
});
