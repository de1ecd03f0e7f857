/**
 * `npm run token -- --sub user-1 --scope admin --ttl 12h`: prints a local HS256 token and the
 * headers line to paste into Apollo Sandbox. Logic and flags: gateway/src/localToken.ts.
 */
import { ConfigError } from '@shop/shared';
import {
  mintLocalToken,
  parseTokenArgs,
  TOKEN_USAGE,
  TokenUsageError,
} from '../gateway/src/localToken';

async function main() {
  const request = parseTokenArgs(process.argv.slice(2));
  if (request.help) {
    console.log(TOKEN_USAGE);
    return;
  }
  const { token, expiresAt, headersJson } = await mintLocalToken(request);
  if (request.quiet) {
    console.log(token);
    return;
  }
  console.log(
    `Token for sub=${request.sub}${request.scope ? ` scope="${request.scope}"` : ''}, ` +
      `expires ${expiresAt.toISOString()}:\n\n${token}\n\n` +
      'Apollo Sandbox (http://127.0.0.1:4000/graphql) → Connection settings → Headers (JSON):\n\n' +
      `${headersJson}\n\ncurl:  -H 'Authorization: Bearer ${token}'\n`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof TokenUsageError) {
    console.error(`${err.message}\n\n${TOKEN_USAGE}`);
    process.exit(64);
  }
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  throw err;
});
