import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The payment stub's whole state: one charge per checkout. Randomness, delay and ids are
 * injected, so the rules are unit-tested without waiting or luck; the gRPC layer only translates.
 *
 * Never twice: the entry for a checkout is stored synchronously, before the simulated provider
 * delay starts, and every later Charge for that checkout (sequential, or concurrent while the
 * first is still in its delay) awaits that same entry instead of starting another charge.
 */

export type ChargeStatus = 'SUCCEEDED' | 'DECLINED' | 'REFUNDED';

export type DeclineCode =
  'card_declined' | 'insufficient_funds' | 'expired_card' | 'processor_declined';

/** What the shopper is told; checkout shows it as the session's failureReason. */
export const DECLINE_MESSAGES: Record<DeclineCode, string> = {
  card_declined: 'The card was declined. Use another card or contact your bank.',
  insufficient_funds: 'The card has insufficient funds for this payment.',
  expired_card: 'The card has expired. Use another card.',
  processor_declined: 'The payment provider declined the charge. Try again or use another card.',
};

/** The tokens with a fixed outcome (docs/design-decisions.md); any other token succeeds with the success rate. */
export const DETERMINISTIC_TOKENS: Readonly<Record<string, DeclineCode | 'succeed'>> = {
  card_ok: 'succeed',
  card_declined: 'card_declined',
  insufficient_funds: 'insufficient_funds',
  expired_card: 'expired_card',
  card_refund_refused: 'succeed',
};

/** Tokens whose charge succeeds but whose refund the provider refuses (refund-failure paths). */
export const REFUND_REFUSED_TOKENS: ReadonlySet<string> = new Set(['card_refund_refused']);

/** What staff are told when the provider refuses a refund: why, and what a person can do. */
export const REFUND_REFUSED_MESSAGE =
  'The payment provider refused the refund: the card account is closed. Refund the customer by bank transfer and record it.';

/** The provider refused to give the money back; nothing changed, retrying may not help. */
export class RefundRefusedError extends Error {
  override readonly name = 'RefundRefusedError';
}

export interface ChargeRequest {
  checkoutId: string;
  userId: string;
  /** Integer minor units; money is never a float. */
  amountCents: number;
  currencyCode: string;
  paymentMethod: string;
}

export interface ChargeRecord extends ChargeRequest {
  paymentId: string;
  status: ChargeStatus;
  declineCode: DeclineCode | undefined;
  /** Money taken for this checkout over every Charge call: amountCents or 0, never more. */
  chargedCents: number;
  /** Charge calls received for this checkout, duplicates included. */
  requests: number;
  /** Money given back for this checkout: chargedCents once refunded, never more. */
  refundedCents: number;
  /** Refund calls received for this checkout, repeats and refusals included. */
  refundRequests: number;
}

export class InvalidChargeRequestError extends Error {
  override readonly name = 'InvalidChargeRequestError';
}

/** The checkout was already charged with a different amount, currency, card or user. */
export class ChargeMismatchError extends Error {
  override readonly name = 'ChargeMismatchError';
}

export interface ChargeBookOptions {
  /** Simulated provider latency, drawn uniformly from [min, max] for each first charge. */
  delayMs: { min: number; max: number };
  /** Probability in [0, 1] that a charge with a non-deterministic token succeeds. */
  successRate: number;
  random?: () => number;
  wait?: (ms: number) => Promise<unknown>;
  newPaymentId?: () => string;
  /** Told once per checkout when its first charge has an outcome; for metrics and logs. */
  onSettled?: (record: ChargeRecord) => void;
}

interface Entry {
  request: ChargeRequest;
  paymentId: string;
  requests: number;
  /** Undefined while the first charge is still in its delay. */
  status: ChargeStatus | undefined;
  declineCode: DeclineCode | undefined;
  chargedCents: number;
  refundedCents: number;
  refundRequests: number;
  settled: Promise<void>;
}

export class ChargeBook {
  private readonly entries = new Map<string, Entry>();
  private pending = 0;
  private readonly options: Required<ChargeBookOptions>;

  constructor(options: ChargeBookOptions) {
    this.options = {
      delayMs: options.delayMs,
      successRate: options.successRate,
      random: options.random ?? Math.random,
      wait: options.wait ?? ((ms) => sleep(ms)),
      newPaymentId: options.newPaymentId ?? (() => `pay_${randomUUID()}`),
      onSettled: options.onSettled ?? (() => undefined),
    };
  }

  /** Charges once per checkout; a repeat waits for and returns the first charge's outcome. */
  async charge(request: ChargeRequest): Promise<{ record: ChargeRecord; repeated: boolean }> {
    validate(request);
    const existing = this.entries.get(request.checkoutId);
    if (existing) {
      if (!sameCharge(existing.request, request)) {
        throw new ChargeMismatchError(
          `checkout ${request.checkoutId} was already charged with a different amount, currency, payment method or user`,
        );
      }
      existing.requests += 1;
      await existing.settled;
      return { record: recordOf(existing), repeated: true };
    }

    const entry: Entry = {
      request: { ...request },
      paymentId: this.options.newPaymentId(),
      requests: 1,
      status: undefined,
      declineCode: undefined,
      chargedCents: 0,
      refundedCents: 0,
      refundRequests: 0,
      settled: Promise.resolve(),
    };
    // Stored before the first await: from here on, a duplicate finds this entry.
    this.entries.set(request.checkoutId, entry);
    entry.settled = this.settle(entry);
    await entry.settled;
    return { record: recordOf(entry), repeated: false };
  }

  /** The checkout's charge once it has an outcome (waiting if it is in flight), or undefined. */
  async get(checkoutId: string): Promise<ChargeRecord | undefined> {
    const entry = this.entries.get(checkoutId);
    if (!entry) return undefined;
    await entry.settled;
    return recordOf(entry);
  }

  /**
   * Returns the money of a SUCCEEDED charge, once. Idempotent: a declined charge stays DECLINED
   * (nothing was taken), a refunded one stays REFUNDED, an unknown checkout answers undefined.
   */
  async refund(
    checkoutId: string,
  ): Promise<{ record: ChargeRecord; refundedNow: boolean } | undefined> {
    const entry = this.entries.get(checkoutId);
    if (!entry) return undefined;
    await entry.settled;
    entry.refundRequests += 1;
    const refundedNow = entry.status === 'SUCCEEDED';
    if (refundedNow && REFUND_REFUSED_TOKENS.has(entry.request.paymentMethod)) {
      throw new RefundRefusedError(REFUND_REFUSED_MESSAGE);
    }
    if (refundedNow) {
      entry.status = 'REFUNDED';
      // Added, not assigned, so that a second refund of one checkout would show as twice the amount.
      entry.refundedCents += entry.chargedCents;
    }
    return { record: recordOf(entry), refundedNow };
  }

  /** First charges still waiting for the simulated provider. */
  get inFlight(): number {
    return this.pending;
  }

  private async settle(entry: Entry): Promise<void> {
    const { min, max } = this.options.delayMs;
    const delay = max > min ? Math.round(min + this.options.random() * (max - min)) : min;
    if (delay > 0) {
      this.pending += 1;
      try {
        await this.options.wait(delay);
      } finally {
        this.pending -= 1;
      }
    }

    const decline = this.decide(entry.request.paymentMethod);
    entry.declineCode = decline;
    entry.status = decline ? 'DECLINED' : 'SUCCEEDED';
    // Added, not assigned, so that a second charge of one checkout would show as twice the amount.
    if (!decline) entry.chargedCents += entry.request.amountCents;
    this.options.onSettled(recordOf(entry));
  }

  /** The decline code, or undefined when the charge succeeds. */
  private decide(paymentMethod: string): DeclineCode | undefined {
    const fixed = DETERMINISTIC_TOKENS[paymentMethod];
    if (fixed) return fixed === 'succeed' ? undefined : fixed;
    return this.options.random() < this.options.successRate ? undefined : 'processor_declined';
  }
}

function validate(request: ChargeRequest): void {
  if (!request.checkoutId) throw new InvalidChargeRequestError('checkout_id is required');
  if (!Number.isSafeInteger(request.amountCents) || request.amountCents <= 0) {
    throw new InvalidChargeRequestError('amount must be more than 0');
  }
  if (!/^[A-Z]{3}$/.test(request.currencyCode)) {
    throw new InvalidChargeRequestError(
      `currency_code must be an ISO-4217 code such as USD, got "${request.currencyCode}"`,
    );
  }
  if (!request.paymentMethod) throw new InvalidChargeRequestError('payment_method is required');
}

function sameCharge(a: ChargeRequest, b: ChargeRequest): boolean {
  return (
    a.userId === b.userId &&
    a.amountCents === b.amountCents &&
    a.currencyCode === b.currencyCode &&
    a.paymentMethod === b.paymentMethod
  );
}

function recordOf(entry: Entry): ChargeRecord {
  if (!entry.status) throw new Error(`charge ${entry.paymentId} read before it settled`);
  return {
    ...entry.request,
    paymentId: entry.paymentId,
    status: entry.status,
    declineCode: entry.declineCode,
    chargedCents: entry.chargedCents,
    requests: entry.requests,
    refundedCents: entry.refundedCents,
    refundRequests: entry.refundRequests,
  };
}
