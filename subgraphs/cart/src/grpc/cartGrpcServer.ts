/**
 * The internal CartService (internal-grpc/proto/cart.proto) for checkout: read a user's cart
 * for the snapshot, and remove exactly what a completed checkout took, once per checkout id.
 */
import * as grpc from '@grpc/grpc-js';
import { GraphQLError } from 'graphql';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import type { Logger } from 'pino';
import { grpcError, protos } from '@shop/internal-grpc';
import type { CartLine as CartLineMessage } from '@shop/internal-grpc/src/__generated__/shop/cart/v1/CartLine';
import type { CartServiceHandlers } from '@shop/internal-grpc/src/__generated__/shop/cart/v1/CartService';
import type { Cart } from '../domain/cart';
import type { CartRepository } from '../data/cartRepository';

function toLines(cart: Cart): CartLineMessage[] {
  return cart.lines.map((l) => ({
    productId: l.productId,
    quantity: l.quantity,
    addedAt: l.addedAt.toISOString(),
  }));
}

/** Our errors keep their meaning across the wire; anything else is logged and hidden. */
function toGrpcError(err: unknown, logger: Logger): grpc.ServiceError {
  if (err instanceof GraphQLError) {
    const code = err.extensions.code;
    if (code === 'BAD_USER_INPUT') return grpcError(grpc.status.INVALID_ARGUMENT, err.message);
    if (code === 'NOT_FOUND') return grpcError(grpc.status.NOT_FOUND, err.message);
    if (code === 'CONFLICT') return grpcError(grpc.status.ABORTED, err.message);
  }
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) {
    logger.warn({ err: err.message }, 'cart gRPC call failed: MongoDB unreachable');
    return grpcError(grpc.status.UNAVAILABLE, 'the cart store is unreachable; retry');
  }
  logger.error({ err }, 'cart gRPC call failed');
  return grpcError(grpc.status.INTERNAL, 'internal error');
}

export function registerCartService(
  server: grpc.Server,
  carts: CartRepository,
  logger: Logger,
): void {
  const handlers: CartServiceHandlers = {
    GetCart: (call, callback) => {
      const userId = call.request.userId;
      if (!userId) return callback(grpcError(grpc.status.INVALID_ARGUMENT, 'user_id is required'));
      // Checkout prices and reserves what it reads here, so it reads MongoDB, the authority.
      carts.readFromStore(userId).then(
        (cart) => callback(null, { userId, lines: toLines(cart) }),
        (err: unknown) => callback(toGrpcError(err, logger)),
      );
    },

    RemoveCheckedOutItems: (call, callback) => {
      const { userId, checkoutId, lines } = call.request;
      if (!userId || !checkoutId) {
        return callback(
          grpcError(grpc.status.INVALID_ARGUMENT, 'user_id and checkout_id are required'),
        );
      }
      const bad = lines.find((l) => !l.productId || !(l.quantity > 0));
      if (bad) {
        return callback(
          grpcError(
            grpc.status.INVALID_ARGUMENT,
            `every line needs a product_id and a positive quantity (got ${JSON.stringify(bad)})`,
          ),
        );
      }
      carts
        .removeCheckedOut(
          userId,
          checkoutId,
          lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
        )
        .then(
          ({ cart, applied }) => callback(null, { remaining: toLines(cart), applied }),
          (err: unknown) => callback(toGrpcError(err, logger)),
        );
    },
  };
  server.addService(protos.cart().CartService.service, handlers);
}
