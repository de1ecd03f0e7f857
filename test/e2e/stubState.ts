/**
 * Reads the gRPC stubs' state the way an operator would, over gRPC: stock levels and what
 * happened to a checkout's money. Tests use it to prove "refunded once, restocked once".
 */
import { connectClient, protos } from '@shop/internal-grpc';

export interface StubState {
  /** Units free to reserve now, per product id. */
  available(productIds: string[]): Promise<Record<string, number>>;
  /** The checkout's charge as the payment stub records it. */
  charge(checkoutId: string): Promise<{
    status: string;
    chargedAmount: string;
    refundedAmount: string;
    refundRequests: number;
  }>;
  /** Holds units as a checkout in progress would (released when its TTL passes). */
  reserve(checkoutId: string, productId: string, quantity: number): Promise<void>;
  close(): void;
}

function unary<Res>(invoke: (callback: (err: Error | null, res?: Res) => void) => void) {
  return new Promise<Res>((resolve, reject) =>
    invoke((err, res) => (err || !res ? reject(err ?? new Error('empty response')) : resolve(res))),
  );
}

export function stubState(addresses: { inventory: string; payment: string }): StubState {
  const inventory = connectClient(protos.inventory().Inventory, addresses.inventory);
  const payment = connectClient(protos.payment().Payment, addresses.payment);
  return {
    async available(productIds) {
      const res = await unary<{ levels: { productId: string; available: number }[] }>((cb) =>
        inventory.getStock({ productIds }, cb),
      );
      return Object.fromEntries(res.levels.map((l) => [l.productId, l.available]));
    },
    async charge(checkoutId) {
      const res = await unary<{
        status: string;
        chargedAmount: string;
        refundedAmount: string;
        refundRequests: number;
      }>((cb) => payment.getCharge({ checkoutId }, cb));
      return {
        status: res.status,
        chargedAmount: res.chargedAmount,
        refundedAmount: res.refundedAmount,
        refundRequests: res.refundRequests,
      };
    },
    async reserve(checkoutId, productId, quantity) {
      await unary((cb) => inventory.reserve({ checkoutId, items: [{ productId, quantity }] }, cb));
    },
    close() {
      inventory.close();
      payment.close();
    },
  };
}
