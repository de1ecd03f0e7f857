import type { ZodType, ZodTypeDef } from 'zod';
import * as events from '../events';

/**
 * What one Kafka message means to a consumer of a versioned event contract (see ../events):
 * - `event`: a valid event of the expected type and version, to be handled;
 * - `skip`: a well-formed event of another type (a topic may carry more kinds of events than
 *   this consumer acts on; they are neither its business nor broken);
 * - `poison`: a message no retry can ever make processable (empty, not JSON, not an event, an
 *   unknown version, or an event that breaks its contract). It belongs on the dead-letter topic,
 *   from where a fixed release can replay it.
 */
export type DecodedEvent<T> =
  | { kind: 'event'; event: T }
  | { kind: 'skip'; eventType: string }
  | { kind: 'poison'; reason: string };

export interface EventContract<T> {
  eventType: string;
  /** The one version this release reads; any other is poison rather than a guess. */
  version: number;
  schema: ZodType<T, ZodTypeDef, unknown>;
}

export function decodeEvent<T>(value: Buffer | null, contract: EventContract<T>): DecodedEvent<T> {
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
  if (eventType !== contract.eventType) return { kind: 'skip', eventType };
  if (version !== contract.version) {
    return {
      kind: 'poison',
      reason:
        `unknown ${contract.eventType} version ${JSON.stringify(version)} ` +
        `(this release reads version ${contract.version})`,
    };
  }
  const parsed = contract.schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return {
      kind: 'poison',
      reason: `invalid ${contract.eventType} v${contract.version}: ${problems}`,
    };
  }
  return { kind: 'event', event: parsed.data };
}

/** CheckoutCompleted v1 as read from checkout-events (by orders and by the cart alike). */
export function decodeCheckoutCompleted(
  value: Buffer | null,
): DecodedEvent<events.CheckoutCompletedV1> {
  return decodeEvent(value, {
    eventType: 'CheckoutCompleted',
    version: 1,
    schema: events.CheckoutCompletedV1,
  });
}

/** OrderCancelled v1 as read from order-events (by the orders-refunds consumer). */
export function decodeOrderCancelled(value: Buffer | null): DecodedEvent<events.OrderCancelledV1> {
  return decodeEvent(value, {
    eventType: 'OrderCancelled',
    version: 1,
    schema: events.OrderCancelledV1,
  });
}
