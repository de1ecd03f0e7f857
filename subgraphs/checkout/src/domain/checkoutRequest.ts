import { createHash } from 'node:crypto';
import { z } from 'zod';
import { badUserInput } from '@shop/shared';
import type { ShippingAddress } from '../data/sessionStore';

/** A checkout request after validation and normalisation (trimmed, country upper-cased). */
export interface CheckoutRequest {
  idempotencyKey: string;
  shippingAddress: ShippingAddress;
  paymentMethod: string;
}

const text = (field: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${field} must not be blank`)
    .max(max, `${field} must be at most ${max} characters`);

const requestShape = z.object({
  idempotencyKey: z
    .string()
    .regex(
      /^[\x21-\x7e]{1,255}$/,
      'idempotencyKey must be 1 to 255 visible ASCII characters (a UUID is ideal)',
    ),
  shippingAddress: z.object({
    name: text('shippingAddress.name', 200),
    line1: text('shippingAddress.line1', 200),
    line2: z
      .string()
      .trim()
      .max(200, 'shippingAddress.line2 must be at most 200 characters')
      .nullish()
      .transform((v) => (v ? v : null)),
    city: text('shippingAddress.city', 100),
    postalCode: z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9 -]{0,10}[A-Za-z0-9]$/,
        'shippingAddress.postalCode must be 2 to 12 letters, digits, spaces or hyphens',
      )
      .transform((v) => v.toUpperCase().replace(/\s+/g, ' ')),
    country: z
      .string()
      .trim()
      .regex(
        /^[A-Za-z]{2}$/,
        'shippingAddress.country must be an ISO 3166-1 alpha-2 code such as "US" or "DE"',
      )
      .transform((v) => v.toUpperCase()),
  }),
  paymentMethod: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9_]{2,63}$/,
      'paymentMethod must be a payment token: 3 to 64 letters, digits or underscores, starting with a letter (e.g. "card_ok")',
    ),
});

/** Validates the mutation's input; BAD_USER_INPUT naming every problem otherwise. */
export function parseCheckoutInput(input: unknown): CheckoutRequest {
  const result = requestShape.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => i.message);
  throw badUserInput(`Invalid checkout input: ${problems.join('; ')}.`, { problems });
}

/**
 * What makes two submissions "the same request" for one idempotency key: the normalised
 * shipping address and payment method. NOT the cart: a retry after a lost response arrives
 * after the first checkout has already emptied the cart, and must still get the first session
 * back instead of a CONFLICT (or a second checkout). The key itself names the purchase
 * attempt; the fingerprint only catches a key reused for a different request.
 */
export function fingerprintOf(request: CheckoutRequest): string {
  const a = request.shippingAddress;
  // Fixed key order: JSON.stringify of an object literal keeps insertion order.
  const canonical = JSON.stringify({
    v: 1,
    shippingAddress: {
      name: a.name,
      line1: a.line1,
      line2: a.line2,
      city: a.city,
      postalCode: a.postalCode,
      country: a.country,
    },
    paymentMethod: request.paymentMethod,
  });
  return createHash('sha256').update(canonical).digest('hex');
}
