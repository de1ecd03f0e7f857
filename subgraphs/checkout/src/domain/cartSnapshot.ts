import {
  DependencyUnavailableError,
  type CartClient,
  type CatalogClient,
} from '@shop/internal-grpc';
import { badUserInput, formatCents, parseCents, serviceUnavailable } from '@shop/shared';
import type { SnapshotItem } from '../data/sessionStore';

export interface CartSnapshot {
  items: SnapshotItem[];
  /** Decimal string. */
  total: string;
  currency: string;
}

/**
 * What is being bought: the caller's cart (over gRPC from the cart service) priced by the
 * catalog at this moment, never by the client. An empty cart or a product the catalog no
 * longer sells is the shopper's to fix (BAD_USER_INPUT); an unreachable cart or catalog is
 * SERVICE_UNAVAILABLE, and since no session exists yet, simply retrying is safe.
 */
export async function takeCartSnapshot(
  userId: string,
  cart: CartClient,
  catalog: CatalogClient,
): Promise<CartSnapshot> {
  try {
    const lines = await cart.getLines(userId);
    if (lines.length === 0) {
      throw badUserInput('Your cart is empty: add products with addToCart, then check out.');
    }
    const { products, missingIds } = await catalog.getProducts(lines.map((l) => l.productId));
    if (missingIds.length > 0) {
      throw badUserInput(
        `These products in your cart are no longer sold: ${missingIds.join(', ')}. ` +
          'Remove them with removeFromCart, then check out again.',
        { missingProductIds: missingIds },
      );
    }
    const byId = new Map(products.map((p) => [p.id, p]));
    const currencies = new Set(products.map((p) => p.currencyCode));
    if (currencies.size > 1) {
      throw badUserInput(
        `Your cart mixes currencies (${[...currencies].join(', ')}); check out products of one currency at a time.`,
      );
    }
    let totalCents = 0;
    const items = lines.map((line) => {
      const product = byId.get(line.productId);
      if (!product) throw new Error(`catalog answered without product ${line.productId}`);
      totalCents += parseCents(product.price) * line.quantity;
      return {
        productId: line.productId,
        name: product.name,
        quantity: line.quantity,
        unitPrice: formatCents(parseCents(product.price)),
      };
    });
    return {
      items,
      total: formatCents(totalCents),
      currency: [...currencies][0] ?? 'USD',
    };
  } catch (err) {
    if (err instanceof DependencyUnavailableError) {
      throw serviceUnavailable(
        `Checkout cannot read your cart right now (${err.dependency} is unavailable). Nothing was charged; try again shortly.`,
      );
    }
    throw err;
  }
}
