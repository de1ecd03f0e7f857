import { createLogger, installShutdown, loadConfigOrExit } from '@shop/shared';
import { loadInventoryConfig } from './config';
import { createInventoryServer } from './service';

/** The inventory stub process: `npx tsx internal-grpc/stubs/inventory/main.ts`. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadInventoryConfig());
  const logger = createLogger('inventory', config.logLevel);
  const server = await createInventoryServer(config, { logger });
  installShutdown(logger, [{ name: 'inventory server', close: server.stop }]);
}

main().catch((err: unknown) => {
  process.stderr.write(`inventory failed to start: ${String(err)}\n`);
  process.exit(1);
});
