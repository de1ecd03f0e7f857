import { createTokenVerifier, env } from '@shop/shared';
import { mintLocalToken, parseTokenArgs, TokenUsageError } from './localToken';

const LOCAL_DEFAULT_SECRET = env.jwtSecret().parse(undefined);

describe('npm run token', () => {
  it('mints a token the services accept with the shared local default secret', async () => {
    const request = parseTokenArgs(['--sub', 'user-42', '--scope', 'admin', '--ttl', '2h']);
    const { token, expiresAt, headersJson } = await mintLocalToken(request, {});
    const viewer = await createTokenVerifier({ secret: LOCAL_DEFAULT_SECRET })(token);
    expect(viewer.userId).toBe('user-42');
    expect([...viewer.scopes]).toEqual(['admin']);
    const hours = (expiresAt.getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2);
    expect(JSON.parse(headersJson)).toEqual({ Authorization: `Bearer ${token}` });
  });

  it('signs with JWT_SECRET when it is set', async () => {
    const secret = 'a-different-secret-that-is-32-chars-long';
    const { token } = await mintLocalToken(parseTokenArgs([]), { JWT_SECRET: secret });
    await expect(createTokenVerifier({ secret })(token)).resolves.toMatchObject({
      userId: 'user-1',
    });
    await expect(createTokenVerifier({ secret: LOCAL_DEFAULT_SECRET })(token)).rejects.toThrow();
  });

  it('defaults to user-1, no scope, 12 hours', () => {
    expect(parseTokenArgs([])).toEqual({
      sub: 'user-1',
      scope: undefined,
      ttl: '12h',
      quiet: false,
      help: false,
    });
  });

  it('joins repeated and space-separated scopes', () => {
    expect(parseTokenArgs(['--scope', 'admin', '--scope', 'orders carts']).scope).toBe(
      'admin orders carts',
    );
  });

  it.each([
    [['--ttl', 'forever'], /--ttl "forever" is not a period/],
    [['--sub', ''], /--sub must not be empty/],
    [['--colour', 'red'], /Unknown option '--colour'/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseTokenArgs(argv)).toThrow(TokenUsageError);
    expect(() => parseTokenArgs(argv)).toThrow(message);
  });
});
