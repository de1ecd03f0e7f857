/**
 * The cart as the rest of the subgraph sees it, and the rules every change must satisfy.
 * Pure functions over immutable values: the store decides WHEN a change is applied (atomically,
 * against the latest version), these functions decide WHAT the change is and whether it is
 * allowed, so the rules are tested without any server.
 */
import { badUserInput, notFound } from '@shop/shared';

export const MAX_DISTINCT_ITEMS = 50;
export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 99;
/** A cart nobody changed for this long reads as empty and is deleted. */
export const CART_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
/** Product ids are catalog ids ("1", "42", "sku_123"); anything else cannot exist there. */
const PRODUCT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface CartLine {
  productId: string;
  quantity: number;
  /** When the product was first put into the cart. */
  addedAt: Date;
}

/** One user's cart at one version: what reads return and what the cache holds. */
export interface Cart {
  userId: string;
  /**
   * Increases by one with every change and is never reused while the cart exists; the cache
   * uses it to refuse an older cart over a newer one.
   */
  version: number;
  /** Oldest first. */
  lines: readonly CartLine[];
  /** Null for a cart that was never written (or that expired). */
  updatedAt: Date | null;
}

export function emptyCart(userId: string, version = 0): Cart {
  return { userId, version, lines: [], updatedAt: null };
}

/** A guest cart nobody changed for this long is gone (GUEST_CART_RETENTION_MS overrides it). */
export const GUEST_CART_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export function expiresAt(
  cart: Pick<Cart, 'updatedAt'>,
  retentionMs = CART_RETENTION_MS,
): Date | null {
  return cart.updatedAt ? new Date(cart.updatedAt.getTime() + retentionMs) : null;
}

export function isExpired(
  updatedAt: Date | null,
  now: Date,
  retentionMs = CART_RETENTION_MS,
): boolean {
  return updatedAt !== null && updatedAt.getTime() + retentionMs <= now.getTime();
}

export function totalQuantity(cart: Cart): number {
  return cart.lines.reduce((sum, line) => sum + line.quantity, 0);
}

export function assertProductId(productId: string): void {
  if (!PRODUCT_ID.test(productId)) {
    throw badUserInput(
      `"${productId.slice(0, 80)}" is not a product id: ids are 1–64 letters, digits, "_" or "-".`,
      { rule: 'PRODUCT_EXISTS', productId },
    );
  }
}

export function assertQuantity(quantity: number): void {
  if (!Number.isInteger(quantity) || quantity < MIN_QUANTITY || quantity > MAX_QUANTITY) {
    throw badUserInput(
      `Quantity must be between ${MIN_QUANTITY} and ${MAX_QUANTITY}; got ${quantity}. ` +
        'To drop a product, use removeFromCart.',
      { rule: 'QUANTITY_RANGE' },
    );
  }
}

/** Adds to the product's line, or appends a new line; enforces the 99 and 50 limits. */
export function addLine(
  lines: readonly CartLine[],
  productId: string,
  quantity: number,
  now: Date,
): CartLine[] {
  assertQuantity(quantity);
  const existing = lines.find((l) => l.productId === productId);
  if (existing) {
    const total = existing.quantity + quantity;
    if (total > MAX_QUANTITY) {
      throw badUserInput(
        `Adding ${quantity} would make ${total} of product ${productId}; a cart line holds at ` +
          `most ${MAX_QUANTITY} (it has ${existing.quantity}, so at most ${MAX_QUANTITY - existing.quantity} more fit).`,
        { rule: 'QUANTITY_RANGE', productId },
      );
    }
    return lines.map((l) => (l === existing ? { ...l, quantity: total } : l));
  }
  if (lines.length >= MAX_DISTINCT_ITEMS) {
    throw badUserInput(
      `A cart holds at most ${MAX_DISTINCT_ITEMS} different products; remove one before adding another.`,
      { rule: 'MAX_DISTINCT_ITEMS', productId },
    );
  }
  return [...lines, { productId, quantity, addedAt: now }];
}

export function setLineQuantity(
  lines: readonly CartLine[],
  productId: string,
  quantity: number,
): CartLine[] {
  assertQuantity(quantity);
  if (!lines.some((l) => l.productId === productId)) {
    throw notFound(`Product ${productId} is not in your cart; add it with addToCart first.`);
  }
  return lines.map((l) => (l.productId === productId ? { ...l, quantity } : l));
}

export interface MergeProblem {
  productId: string;
  rule: 'QUANTITY_RANGE' | 'MAX_DISTINCT_ITEMS' | 'PRODUCT_EXISTS';
  reason: string;
}

/**
 * A guest cart's lines added to a shopper's: quantities add, a product new to the cart is
 * added `now` (after the shopper's own lines). All or nothing: every line the rules cannot take is named in `problems` and then
 * `lines` is null, so nothing is dropped without the shopper being told.
 */
export function mergeLines(
  into: readonly CartLine[],
  from: readonly CartLine[],
  now: Date,
  missingProducts: ReadonlySet<string> = new Set(),
): { lines: CartLine[] | null; problems: MergeProblem[] } {
  const problems: MergeProblem[] = [];
  const lines = into.map((l) => ({ ...l }));
  for (const guest of from) {
    if (missingProducts.has(guest.productId)) {
      problems.push({
        productId: guest.productId,
        rule: 'PRODUCT_EXISTS',
        reason: `product ${guest.productId} is no longer in the catalog`,
      });
      continue;
    }
    const existing = lines.find((l) => l.productId === guest.productId);
    if (existing) {
      const total = existing.quantity + guest.quantity;
      if (total > MAX_QUANTITY) {
        problems.push({
          productId: guest.productId,
          rule: 'QUANTITY_RANGE',
          reason: `${existing.quantity} in your cart + ${guest.quantity} in the guest cart = ${total}, above ${MAX_QUANTITY}`,
        });
      } else existing.quantity = total;
    } else if (lines.length >= MAX_DISTINCT_ITEMS) {
      problems.push({
        productId: guest.productId,
        rule: 'MAX_DISTINCT_ITEMS',
        reason: `your cart would hold more than ${MAX_DISTINCT_ITEMS} different products`,
      });
    } else lines.push({ ...guest, addedAt: now });
  }
  return { lines: problems.length ? null : lines, problems };
}

/** Null when the product is not in the cart: nothing to change. */
export function removeLine(lines: readonly CartLine[], productId: string): CartLine[] | null {
  const kept = lines.filter((l) => l.productId !== productId);
  return kept.length === lines.length ? null : kept;
}

/**
 * Takes out exactly what a checkout took. A line the shopper added to after the checkout's
 * snapshot keeps the difference; a line at or below the checked-out quantity goes.
 */
export function removeCheckedOutLines(
  lines: readonly CartLine[],
  checkedOut: readonly { productId: string; quantity: number }[],
): CartLine[] {
  const taken = new Map<string, number>();
  for (const c of checkedOut) taken.set(c.productId, (taken.get(c.productId) ?? 0) + c.quantity);
  return lines.flatMap((line) => {
    const quantity = line.quantity - (taken.get(line.productId) ?? 0);
    return quantity > 0 ? [{ ...line, quantity }] : [];
  });
}
