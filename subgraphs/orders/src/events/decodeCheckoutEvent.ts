import { events } from '@shop/shared';

/**
 * What a message on checkout-events means to this service:
 * - `order`: a valid CheckoutCompleted v1, to become an order;
 * - `ignore`: a well-formed event of another type (the topic may carry more kinds of checkout
 *   events later; they are not ours to create orders from, and not broken either);
 * - `poison`: a message that can never become an order however often it is retried (not JSON,
 *   not an event, an unknown version, or a CheckoutCompleted that breaks the contract). It goes
 *   to the dead-letter topic, from where it can be replayed once a fixed release understands it.
 */
export type DecodedCheckoutEvent =
  | { kind: 'order'; event: events.CheckoutCompletedV1 }
  | { kind: 'ignore'; eventType: string }
  | { kind: 'poison'; reason: string };

export function decodeCheckoutEvent(value: Buffer | null): DecodedCheckoutEvent {
  if (value === null || value.length === 0) {
    return { kind: 'poison', reason: 'empty message (no value)' };
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { kind: 'poison', reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'poison', reason: 'not an event object' };
  }
  const { eventType, version } = json as { eventType?: unknown; version?: unknown };
  if (typeof eventType !== 'string') {
    return { kind: 'poison', reason: 'eventType is missing' };
  }
  if (eventType !== 'CheckoutCompleted') return { kind: 'ignore', eventType };
  if (version !== 1) {
    return {
      kind: 'poison',
      reason: `unknown CheckoutCompleted version ${JSON.stringify(version)} (this release reads version 1)`,
    };
  }
  const parsed = events.CheckoutCompletedV1.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { kind: 'poison', reason: `invalid CheckoutCompleted v1: ${problems}` };
  }
  return { kind: 'order', event: parsed.data };
}
