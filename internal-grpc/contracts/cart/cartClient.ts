import { protos } from '../../src/protos';
import {
  connectClient,
  createGrpcCaller,
  type GrpcCaller,
  type ResponseOf,
} from '../../src/grpcCall';
import type { Logger } from '@shop/shared';

export interface CartLine {
  productId: string;
  quantity: number;
}

/** The cart service as checkout sees it: read-only, for the snapshot. */
export interface CartClient {
  getLines(userId: string): Promise<CartLine[]>;
  caller: GrpcCaller;
  close(): void;
}

/** The service definition; its method types give the response types. */
type Definition = ReturnType<typeof protos.cart>['CartService']['service'];
type CartResponse<M extends string> = ResponseOf<Definition, M & keyof Definition>;

export function createCartClient(address: string, deadlineMs: number, logger: Logger): CartClient {
  const client = connectClient(protos.cart().CartService, address);
  const caller = createGrpcCaller('cart', deadlineMs, logger);
  return {
    caller,
    async getLines(userId) {
      const res = await caller.call<CartResponse<'GetCart'>>('GetCart', (options, callback) =>
        client.getCart({ userId }, options, callback),
      );
      return res.lines.map((l) => ({ productId: l.productId, quantity: l.quantity }));
    },
    close: () => client.close(),
  };
}
