import * as grpc from '@grpc/grpc-js';
import { protos } from '../../src/protos';
import type { InventoryClient } from '../../src/__generated__/shop/inventory/v1/Inventory';
import type { PaymentClient } from '../../src/__generated__/shop/payment/v1/Payment';
import { spawnStub, unary } from './testing';

const INVENTORY_MAIN = 'internal-grpc/stubs/inventory/main.ts';
const PAYMENT_MAIN = 'internal-grpc/stubs/payment/main.ts';

describe('stub processes', () => {
  it('the inventory process serves its seed and stops cleanly on SIGTERM', async () => {
    const stub = spawnStub(INVENTORY_MAIN, { GRPC_PORT: '0', INVENTORY_SEED: '1=3;2=4' });
    try {
      const { address } = await stub.logLine('inventory gRPC listening');
      const client = new (protos.inventory().Inventory)(
        String(address),
        grpc.credentials.createInsecure(),
      ) as InventoryClient;
      const { levels } = await unary(client.getStock.bind(client), { productIds: [] });
      client.close();
      expect(levels).toEqual([
        { productId: '1', available: 3, reserved: 0 },
        { productId: '2', available: 4, reserved: 0 },
      ]);
      stub.child.kill('SIGTERM');
      expect((await stub.exit).code).toBe(0);
      await stub.logLine('stopped');
    } finally {
      stub.child.kill('SIGKILL');
    }
  });

  it('the payment process charges and stops cleanly on SIGTERM', async () => {
    const stub = spawnStub(PAYMENT_MAIN, {
      GRPC_PORT: '0',
      PAYMENT_DELAY_MIN_MS: '0',
      PAYMENT_DELAY_MAX_MS: '0',
    });
    try {
      const { address } = await stub.logLine('payment gRPC listening');
      const client = new (protos.payment().Payment)(
        String(address),
        grpc.credentials.createInsecure(),
      ) as PaymentClient;
      const charged = await unary(client.charge.bind(client), {
        checkoutId: 'process-1',
        userId: 'u',
        amount: '5.00',
        currencyCode: 'USD',
        paymentMethod: 'card_ok',
      });
      client.close();
      expect(charged.status).toBe('SUCCEEDED');
      stub.child.kill('SIGTERM');
      expect((await stub.exit).code).toBe(0);
    } finally {
      stub.child.kill('SIGKILL');
    }
  });

  it.each([
    [PAYMENT_MAIN, { PAYMENT_SUCCESS_RATE: '2' }, 'PAYMENT_SUCCESS_RATE'],
    [INVENTORY_MAIN, { INVENTORY_SEED: '1=lots' }, 'INVENTORY_SEED'],
  ])('%s refuses bad configuration with exit 78, naming the variable', async (main, env, name) => {
    const stub = spawnStub(main, { GRPC_PORT: '0', ...env });
    const { code, stderr } = await stub.exit;
    expect(code).toBe(78);
    expect(stderr).toContain(`${name}: `);
  });
});
