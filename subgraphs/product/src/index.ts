/** The product subgraph process: `npx tsx subgraphs/product/src/index.ts`. */
import { createLogger, installShutdown, loadConfigOrExit } from '@shop/shared';
import { loadProductConfig } from './config';
import { createProductService } from './service';

export { loadProductConfig, type ProductConfig } from './config';
export { createProductService, type ProductService } from './service';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadProductConfig());
  const logger = createLogger('product', config.logLevel);
  const service = await createProductService(config, { logger });
  installShutdown(logger, [{ name: 'product servers and database', close: service.stop }]);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    createLogger('product').fatal({ err }, 'product subgraph failed to start');
    process.exit(1);
  });
}
