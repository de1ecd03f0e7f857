import { DependencyUnavailableError } from '@shop/internal-grpc';
import { FailureCode } from './failures';

/** The saga's steps, in order; each moves a session one status on (see orchestrator.ts). */
export type StepName = 'reserve' | 'startPayment' | 'charge' | 'complete';

/**
 * Whether a failure leaves a compensation owed. `'if-sent'`: owed unless the call certainly
 * never left (the open breaker refused it), because a call whose answer was lost may have
 * applied. `'if-sent-or-recovering'`: the same, and always owed on a re-drive, where an earlier
 * attempt of the call may have applied. Release and Refund of nothing are no-ops, so "maybe"
 * is compensated too.
 */
export type Owed = boolean | 'if-sent' | 'if-sent-or-recovering';

/** What one way of failing a step means: the failure code and what it leaves to undo. */
export interface Compensation {
  code: FailureCode;
  release: Owed;
  refund: Owed;
}

/**
 * The compensation table: every way each step can fail, and the compensation owed after it.
 * The steps fail only through these entries, so this table is what the saga does (its unit
 * tests hold each entry against the step) and README.md's table describes it.
 */
export const COMPENSATIONS = {
  reserve: {
    /** All or nothing: a refused Reserve held nothing. */
    insufficientStock: { code: FailureCode.INSUFFICIENT_STOCK, release: false, refund: false },
    /** Only a re-drive sees this: the first Reserve happened long ago and has run out. */
    reservationExpired: { code: FailureCode.RESERVATION_EXPIRED, release: false, refund: false },
    /** A Reserve whose answer was lost may have held stock. */
    inventoryUnavailable: {
      code: FailureCode.INVENTORY_UNAVAILABLE,
      release: 'if-sent',
      refund: false,
    },
  },
  startPayment: {
    reservationExpired: { code: FailureCode.RESERVATION_EXPIRED, release: false, refund: false },
    inventoryUnavailable: { code: FailureCode.INVENTORY_UNAVAILABLE, release: true, refund: false },
  },
  charge: {
    paymentDeclined: { code: FailureCode.PAYMENT_DECLINED, release: true, refund: false },
    /** A charge may exist unless the call certainly never left on a first attempt. */
    paymentUnavailable: {
      code: FailureCode.PAYMENT_UNAVAILABLE,
      release: true,
      refund: 'if-sent-or-recovering',
    },
    /** REFUNDED (someone refunded it out of band) or a status this code does not know. */
    chargeNotSucceeded: { code: FailureCode.PAYMENT_UNAVAILABLE, release: true, refund: true },
  },
  complete: {
    /** Confirm came too late: the stock went back on sale, the charge is refunded. */
    reservationGone: { code: FailureCode.RESERVATION_EXPIRED, release: false, refund: true },
    inventoryUnavailable: { code: FailureCode.INVENTORY_UNAVAILABLE, release: true, refund: true },
  },
} as const satisfies Record<StepName, Record<string, Compensation>>;

/** Resolves an Owed for one failure: its cause, and whether the session is being re-driven. */
export function isOwed(owed: Owed, cause: unknown, recovering: boolean): boolean {
  if (typeof owed === 'boolean') return owed;
  if (owed === 'if-sent-or-recovering' && recovering) return true;
  return !(cause instanceof DependencyUnavailableError) || cause.mayHaveApplied;
}
