import * as grpc from '@grpc/grpc-js';
import { protos, type CartServiceClient } from '@shop/internal-grpc';
import type { Logger } from 'pino';
import { CHANNEL_OPTIONS, createGrpcCaller, type ResponseOf, type GrpcCaller } from './grpcCall';

export interface CartLine {
  productId: string;
  quantity: number;
}

/** The cart service as checkout sees it: read-only, for the snapshot. */
export interface CartGateway {
  getLines(userId: string): Promise<CartLine[]>;
  caller: GrpcCaller;
  close(): void;
}

/** The service definition; its method types give the response types. */
type Definition = ReturnType<typeof protos.cart>['CartService']['service'];
type CartResponse<M extends string> = ResponseOf<Definition, M & keyof Definition>;

export function createCartClient(address: string, deadlineMs: number, logger: Logger): CartGateway {
  const CartService = protos.cart().CartService;
  const client = new CartService(
    address,
    grpc.credentials.createInsecure(),
    CHANNEL_OPTIONS,
  ) as unknown as CartServiceClient;
  const caller = createGrpcCaller('cart', deadlineMs, logger);
  return {
    caller,
    async getLines(userId) {
      const res = await caller.call<CartResponse<'GetCart'>>('GetCart', (options, callback) =>
        client.getCart(
          {
            userId,
          },
          options,
          callback,
        ),
      );
      return res.lines.map((l) => ({ productId: l.productId, quantity: l.quantity }));
    },
    close: () => client.close(),
  };
}
