import { createLogger, installShutdown, loadConfigOrExit } from '@shop/shared';
import { loadOrdersConfig } from './config';
import { createOrdersService } from './service';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadOrdersConfig());
  const logger = createLogger('orders', config.logLevel);
  const service = await createOrdersService(config, { logger });
  installShutdown(logger, [{ name: 'orders subgraph', close: service.stop }]);
}

main().catch((err: unknown) => {
  createLogger('orders').fatal({ err }, 'orders subgraph failed to start');
  process.exit(1);
});
