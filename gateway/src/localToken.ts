import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import { env, loadConfig, mintToken } from '@shop/shared';

/**
 * `npm run token -- --sub user-1 --scope admin --ttl 12h`: a local HS256 token signed with
 * JWT_SECRET (the same default every service uses), for Apollo Sandbox and curl.
 */
export const TOKEN_USAGE = `Usage: npm run token -- [--sub <user id>] [--scope <scope>]... [--ttl <period>] [--quiet]

  --sub    the user id (JWT "sub"); default user-1
  --scope  a scope to grant, e.g. admin (may be repeated); default none
  --ttl    lifetime: 30s, 15m, 12h, 7d; default 12h
  --quiet  print only the token (for TOKEN=$(npm run -s token -- --quiet))

Signs with JWT_SECRET from the environment, or the local default all services share.`;

export class TokenUsageError extends Error {
  override name = 'TokenUsageError';
}

export interface LocalTokenRequest {
  sub: string;
  scope: string | undefined;
  ttl: string;
  quiet: boolean;
  help: boolean;
}

export function parseTokenArgs(argv: string[]): LocalTokenRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sub: { type: 'string', default: 'user-1' },
        scope: { type: 'string', multiple: true, default: [] },
        ttl: { type: 'string', default: '12h' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new TokenUsageError((err as Error).message);
  }
  if (!/^\d+\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w|week|weeks)$/i.test(values.ttl)) {
    throw new TokenUsageError(
      `--ttl ${JSON.stringify(values.ttl)} is not a period such as 15m, 12h or 7d.`,
    );
  }
  if (values.sub.trim() === '') throw new TokenUsageError('--sub must not be empty.');
  const scopes = values.scope.flatMap((s) => s.split(/\s+/)).filter(Boolean);
  return {
    sub: values.sub,
    scope: scopes.length > 0 ? scopes.join(' ') : undefined,
    ttl: values.ttl,
    quiet: values.quiet,
    help: values.help,
  };
}

export interface LocalToken {
  token: string;
  expiresAt: Date;
  /** Paste into Apollo Sandbox → Connection settings → Headers, or curl -H. */
  headersJson: string;
}

export async function mintLocalToken(
  request: LocalTokenRequest,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<LocalToken> {
  const { JWT_SECRET } = loadConfig({ JWT_SECRET: env.jwtSecret() }, environment);
  const token = await mintToken(
    JWT_SECRET,
    { sub: request.sub, scope: request.scope },
    request.ttl,
  );
  const exp = decodeJwt(token).exp ?? 0;
  return {
    token,
    expiresAt: new Date(exp * 1000),
    headersJson: JSON.stringify({ Authorization: `Bearer ${token}` }),
  };
}
