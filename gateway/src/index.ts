/**
 * The gateway process: `npx tsx gateway/src/index.ts` (PORT 4000 by default).
 * Configuration is validated first; a bad variable exits 78 naming it.
 */
import { createLogger, installShutdown, loadConfigOrExit } from '@shop/shared';
import { loadGatewayConfig } from './config';
import { createGateway } from './service';
import { gatewayAttachments } from './subscriptions';

async function main() {
  const config = loadConfigOrExit(() => loadGatewayConfig());
  const logger = createLogger('gateway', config.logLevel);
  const gateway = await createGateway(config, {
    logger,
    attachments: gatewayAttachments(config, logger),
  });
  installShutdown(logger, [{ name: 'gateway', close: gateway.stop }]);
}

main().catch((err: unknown) => {
  createLogger('gateway').fatal({ err }, 'gateway failed to start');
  process.exit(1);
});
