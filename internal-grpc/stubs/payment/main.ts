import { createLogger, installShutdown, loadConfigOrExit } from '@shop/shared';
import { loadPaymentConfig } from './config';
import { createPaymentServer } from './service';

/** The payment stub process: `npx tsx internal-grpc/stubs/payment/main.ts`. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadPaymentConfig());
  const logger = createLogger('payment', config.logLevel);
  const server = await createPaymentServer(config, { logger });
  installShutdown(logger, [{ name: 'payment server', close: server.stop }]);
}

main().catch((err: unknown) => {
  process.stderr.write(`payment failed to start: ${String(err)}\n`);
  process.exit(1);
});
