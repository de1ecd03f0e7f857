import { createLogger, installShutdown, loadConfigOrExit } from '@shop/shared';
import { loadCheckoutConfig } from './config';
import { createCheckoutService } from './service';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadCheckoutConfig());
  const logger = createLogger('checkout', config.logLevel);
  const service = await createCheckoutService(config, { logger });
  installShutdown(logger, [{ name: 'checkout subgraph', close: service.stop }]);
}

main().catch((err: unknown) => {
  createLogger('checkout').fatal({ err }, 'checkout subgraph failed to start');
  process.exit(1);
});
