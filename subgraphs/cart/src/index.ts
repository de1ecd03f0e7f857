import { createLogger, installShutdown, loadConfigOrExit } from '@shop/shared';
import { loadCartConfig } from './config';
import { createCartService } from './service';

export { createCartService } from './service';
export { loadCartConfig } from './config';

async function main() {
  const config = loadConfigOrExit(() => loadCartConfig());
  const logger = createLogger('cart', config.logLevel);
  const service = await createCartService(config, { logger });
  // stop() ends consuming checkout events first, drains HTTP and gRPC, closes Redis, MongoDB.
  installShutdown(logger, [{ name: 'cart service', close: service.stop }]);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    createLogger('cart').fatal({ err }, 'cart service failed to start');
    process.exit(1);
  });
}
