import { decodeJwt } from 'jose';
import { createTokenVerifier, mintToken, type TokenVerifier } from '@shop/shared';
import { cachingTokenVerifier } from './tokenCache';

const SECRET = 'token-cache-test-secret-at-least-32-chars';

/** The real jose verifier, counting how often it actually runs. */
function countingVerifier(): { verify: TokenVerifier; calls: () => number } {
  const real = createTokenVerifier({ secret: SECRET });
  let calls = 0;
  return {
    verify: (token) => {
      calls++;
      return real(token);
    },
    calls: () => calls,
  };
}

describe('verified-token cache', () => {
  test('a token is verified once; each token only ever yields its own viewer', async () => {
    const inner = countingVerifier();
    const verify = cachingTokenVerifier(inner.verify, { maxEntries: 100 });
    const alice = await mintToken(SECRET, { sub: 'alice' });
    const bob = await mintToken(SECRET, { sub: 'bob', scope: 'admin' });

    expect((await verify(alice)).userId).toBe('alice');
    expect((await verify(bob)).userId).toBe('bob');
    expect((await verify(alice)).userId).toBe('alice');
    const bobAgain = await verify(bob);
    expect(bobAgain.userId).toBe('bob');
    expect(bobAgain.token).toBe(bob);
    expect([...bobAgain.scopes]).toEqual(['admin']);
    expect(inner.calls()).toBe(2);
  });

  test('an entry ends at the token exp: the token is verified again from then on', async () => {
    const inner = countingVerifier();
    let clock = Date.now();
    const verify = cachingTokenVerifier(inner.verify, { maxEntries: 100, now: () => clock });
    const token = await mintToken(SECRET, { sub: 'carol' }, '1h');
    const expiresAtMs = decodeJwt(token).exp! * 1000;

    await verify(token);
    clock = expiresAtMs - 1;
    await verify(token);
    expect(inner.calls()).toBe(1);
    clock = expiresAtMs;
    await verify(token);
    expect(inner.calls()).toBe(2);
  });

  test('an expired token is refused even when it was cached before', async () => {
    const inner = countingVerifier();
    const verify = cachingTokenVerifier(inner.verify, { maxEntries: 100 });
    const token = await mintToken(SECRET, { sub: 'dave' }, '1s');
    await verify(token);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await expect(verify(token)).rejects.toThrow(/expired/);
  });

  test('refusals are not cached: a forged token is checked, and refused, every time', async () => {
    const inner = countingVerifier();
    const verify = cachingTokenVerifier(inner.verify, { maxEntries: 100 });
    const forged = await mintToken('another-secret-that-is-32-characters-long', { sub: 'eve' });
    await expect(verify(forged)).rejects.toThrow(/signature/);
    await expect(verify(forged)).rejects.toThrow(/signature/);
    expect(inner.calls()).toBe(2);
  });

  test('at most maxEntries are kept, the least recently used dropped first; 0 = no cache', async () => {
    const inner = countingVerifier();
    const verify = cachingTokenVerifier(inner.verify, { maxEntries: 2 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => mintToken(SECRET, { sub })));
    await verify(a!);
    await verify(b!);
    await verify(a!); // a is now the most recent
    await verify(c!); // drops b
    expect(inner.calls()).toBe(3);
    await verify(a!);
    expect(inner.calls()).toBe(3);
    await verify(b!);
    expect(inner.calls()).toBe(4);

    const off = countingVerifier();
    const uncached = cachingTokenVerifier(off.verify, { maxEntries: 0 });
    await uncached(a!);
    await uncached(a!);
    expect(off.calls()).toBe(2);
  });
});
