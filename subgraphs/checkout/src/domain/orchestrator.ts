import type { Logger } from 'pino';
import {
  DependencyUnavailableError,
  InsufficientStockError,
  isServiceError,
  ReservationGoneError,
  ReservationSoldError,
  type InventoryClient,
  type PaymentClient,
} from '@shop/internal-grpc';
import {
  LeaseLostError,
  needsWork,
  type CheckoutStatus,
  type SessionRecord,
  type SessionStore,
} from '../data/sessionStore';
import { isStoreUnavailable } from '../data/outages';
import { buildCheckoutCompleted, checkoutCompletedMessage } from '../events/checkoutCompleted';
import { snapshotItems } from './sessionItems';
import { COMPENSATIONS, isOwed, type Compensation, type StepName } from './compensations';
import type { CrashHook } from './crashHook';
import { insufficientStockReason, paymentDeclinedReason, reasons } from './failures';
import type { LeaseKeeper } from './leaseKeeper';
import { sagaMetrics } from '../metrics';

/**
 * What the saga needs, narrowed to the calls it makes, so its unit tests hand it fakes of the
 * store and the clients (orchestrator.test.ts) while service.ts hands it the real ones.
 */
export interface SagaDependencies {
  store: Pick<SessionStore, 'advance' | 'fail' | 'complete' | 'settleCompensation'> & {
    findById(id: string): PromiseLike<SessionRecord | null>;
  };
  inventory: Pick<InventoryClient, 'reserve' | 'confirm' | 'release'>;
  payment: Pick<PaymentClient, 'charge' | 'getCharge' | 'refund'>;
  leases: Pick<LeaseKeeper, 'hold' | 'drop'>;
  crash: CrashHook;
  checkoutEventsTopic: string;
  logger: Logger;
}

export interface DriveOptions {
  /**
   * The session was taken over from a process that died (or gave up) mid-step, so the last
   * recorded state may lag behind what the stubs did: re-ask them before moving on.
   */
  recovering: boolean;
}

/**
 * A dependency said something the saga has no rule for (a malformed request, an unexpected
 * status): a definite answer, so retrying would get the same one. Treated like unavailability
 * of that dependency, with the same compensation.
 */
function isDefiniteGrpcAnswer(err: unknown): boolean {
  return isServiceError(err);
}

/** Records the failure and the compensation it leaves owed (an entry of COMPENSATIONS). */
async function fail(
  deps: SagaDependencies,
  session: SessionRecord,
  compensation: Compensation,
  reason: string,
  options: DriveOptions,
  cause?: unknown,
): Promise<SessionRecord> {
  const failure = {
    code: compensation.code,
    reason,
    releasePending: isOwed(compensation.release, cause, options.recovering),
    refundPending: isOwed(compensation.refund, cause, options.recovering),
  };
  const failed = await deps.store.fail(session.id, session.status, failure);
  sagaMetrics.failed.inc({ code: failure.code, step: session.status });
  deps.logger.info(
    { checkoutId: session.id, step: session.status, failureCode: failure.code, err: cause },
    'checkout failed',
  );
  deps.crash('FAILED');
  return failed;
}

const lines = (session: SessionRecord) =>
  snapshotItems(session).map(({ productId, quantity }) => ({ productId, quantity }));

/** INITIATED → INVENTORY_RESERVED: hold all the stock, or none. */
export async function reserve(
  deps: SagaDependencies,
  session: SessionRecord,
  options: DriveOptions,
): Promise<SessionRecord> {
  const owed = COMPENSATIONS.reserve;
  let reservationId: string;
  try {
    const reservation = await deps.inventory.reserve(session.id, lines(session));
    deps.crash('AFTER_RESERVE');
    if (reservation.status !== 'ACTIVE') {
      return await fail(
        deps,
        session,
        owed.reservationExpired,
        reasons.reservationExpired,
        options,
      );
    }
    reservationId = reservation.reservationId;
  } catch (err) {
    if (err instanceof InsufficientStockError) {
      const reason = insufficientStockReason(err.shortages, snapshotItems(session));
      return fail(deps, session, owed.insufficientStock, reason, options);
    }
    if (err instanceof DependencyUnavailableError || isDefiniteGrpcAnswer(err)) {
      const reason = reasons.inventoryUnavailable;
      return fail(deps, session, owed.inventoryUnavailable, reason, options, err);
    }
    throw err;
  }
  const reserved = await deps.store.advance(session.id, 'INITIATED', 'INVENTORY_RESERVED', {
    inventoryReservationId: reservationId,
  });
  deps.crash('INVENTORY_RESERVED');
  return reserved;
}

/**
 * INVENTORY_RESERVED → PAYMENT_PENDING. A re-drive first checks the reservation still holds
 * (Reserve again answers the existing one): charging for stock that already went back on
 * sale would only be refunded later.
 */
export async function startPayment(
  deps: SagaDependencies,
  session: SessionRecord,
  options: DriveOptions,
): Promise<SessionRecord> {
  const owed = COMPENSATIONS.startPayment;
  if (options.recovering) {
    try {
      const reservation = await deps.inventory.reserve(session.id, lines(session));
      if (reservation.status !== 'ACTIVE') {
        const reason = reasons.reservationExpired;
        return await fail(deps, session, owed.reservationExpired, reason, options);
      }
    } catch (err) {
      if (
        err instanceof DependencyUnavailableError ||
        err instanceof InsufficientStockError ||
        isDefiniteGrpcAnswer(err)
      ) {
        const reason = reasons.inventoryUnavailable;
        return fail(deps, session, owed.inventoryUnavailable, reason, options, err);
      }
      throw err;
    }
  }
  const pending = await deps.store.advance(session.id, 'INVENTORY_RESERVED', 'PAYMENT_PENDING');
  deps.crash('PAYMENT_PENDING');
  return pending;
}

/**
 * PAYMENT_PENDING → PAYMENT_COMPLETED. The session says PAYMENT_PENDING before Charge is
 * sent, so after a crash it is known that a charge may exist. A re-drive asks GetCharge
 * first and only charges when there is none; Charge is idempotent per checkout id anyway,
 * so even a second Charge returns the first result.
 */
export async function charge(
  deps: SagaDependencies,
  session: SessionRecord,
  options: DriveOptions,
): Promise<SessionRecord> {
  const owed = COMPENSATIONS.charge;
  let outcome;
  try {
    if (options.recovering) outcome = await deps.payment.getCharge(session.id);
    outcome ??= await deps.payment.charge({
      checkoutId: session.id,
      userId: session.userId,
      amount: session.totalAmount.toFixed(2),
      currencyCode: session.currency,
      paymentMethod: session.paymentMethod,
    });
    deps.crash('AFTER_CHARGE');
  } catch (err) {
    if (err instanceof DependencyUnavailableError || isDefiniteGrpcAnswer(err)) {
      const reason = reasons.paymentUnavailable;
      return fail(deps, session, owed.paymentUnavailable, reason, options, err);
    }
    throw err;
  }
  if (outcome.status === 'DECLINED') {
    const reason = paymentDeclinedReason(outcome.declineCode);
    return fail(deps, session, owed.paymentDeclined, reason, options);
  }
  if (outcome.status !== 'SUCCEEDED') {
    return fail(deps, session, owed.chargeNotSucceeded, reasons.paymentUnavailable, options);
  }
  const paid = await deps.store.advance(session.id, 'PAYMENT_PENDING', 'PAYMENT_COMPLETED', {
    paymentId: outcome.paymentId,
  });
  deps.crash('PAYMENT_COMPLETED');
  return paid;
}

/**
 * PAYMENT_COMPLETED → COMPLETED. The reservation is confirmed BEFORE the session completes:
 * COMPLETED then always means "paid and the stock is sold". The other order would let a
 * crash between the two leave a completed order whose reservation later expires and puts
 * its stock back on sale: an oversell. Then COMPLETED and the outbox row commit together.
 */
export async function complete(
  deps: SagaDependencies,
  session: SessionRecord,
  options: DriveOptions,
): Promise<SessionRecord> {
  const owed = COMPENSATIONS.complete;
  try {
    await deps.inventory.confirm(session.id);
    deps.crash('AFTER_CONFIRM');
  } catch (err) {
    if (err instanceof ReservationGoneError) {
      const reason = reasons.reservationExpired;
      return fail(deps, session, owed.reservationGone, reason, options, err);
    }
    if (err instanceof DependencyUnavailableError || isDefiniteGrpcAnswer(err)) {
      const reason = reasons.inventoryUnavailableAfterPayment;
      return fail(deps, session, owed.inventoryUnavailable, reason, options, err);
    }
    throw err;
  }
  const completedAt = new Date();
  const event = buildCheckoutCompleted(session, completedAt);
  const completed = await deps.store.complete(
    session.id,
    completedAt,
    checkoutCompletedMessage(event, deps.checkoutEventsTopic),
  );
  sagaMetrics.completed.inc();
  // The success line beside 'checkout failed': with its trace_id and request_id an operator
  // finds the whole purchase (trace, gateway access line) from the checkout id.
  deps.logger.info({ checkoutId: session.id }, 'checkout completed');
  deps.crash('COMPLETED');
  return completed;
}

/**
 * Runs the compensation a FAILED session still owes. Release and Refund are idempotent and
 * harmless for something that never happened, so "maybe happened" is compensated too. What
 * fails stays owed; recovery retries it once the lease runs out.
 */
export async function compensate(
  deps: SagaDependencies,
  session: SessionRecord,
): Promise<SessionRecord> {
  const { inventory, payment, logger } = deps;
  let { releasePending, refundPending } = session;
  if (releasePending) {
    try {
      await inventory.release(session.id);
      releasePending = false;
    } catch (err) {
      if (err instanceof ReservationSoldError) {
        // Only reachable when a Confirm's answer was lost and the session failed as
        // INVENTORY_UNAVAILABLE: the units stay deducted without a sale. Nothing in the stub's
        // API can undo that; flag it loudly for a person.
        logger.error(
          { checkoutId: session.id },
          'reservation of a failed checkout is CONFIRMED: its stock stays deducted; adjust by hand',
        );
        releasePending = false;
      } else if (!(err instanceof DependencyUnavailableError)) {
        throw err;
      } else {
        logger.warn({ checkoutId: session.id, err }, 'release failed; will retry');
      }
    }
  }
  if (refundPending) {
    try {
      const refund = await payment.refund(session.id);
      // A refusal needs a person, not a retry: fail loudly as before the outcome was typed.
      if (refund.kind === 'refused') throw new Error(`refund refused: ${refund.reason}`);
      refundPending = false;
    } catch (err) {
      if (!(err instanceof DependencyUnavailableError)) throw err;
      logger.warn({ checkoutId: session.id, err }, 'refund failed; will retry');
    }
  }
  if (!releasePending && !refundPending) sagaMetrics.compensated.inc();
  return deps.store.settleCompensation(session.id, { releasePending, refundPending });
}

/** One step of the saga: the status it moves a session out of, and what its failures owe. */
export interface SagaStep {
  name: StepName;
  runsAt: CheckoutStatus;
  /** Every way the step can fail, with the compensation each leaves owed. */
  compensations: (typeof COMPENSATIONS)[StepName];
  run(
    deps: SagaDependencies,
    session: SessionRecord,
    options: DriveOptions,
  ): Promise<SessionRecord>;
}

/** The saga as a list (docs/architecture.md, "Checkout"): each step with its compensation beside it. */
export const SAGA_STEPS: readonly SagaStep[] = [
  { name: 'reserve', runsAt: 'INITIATED', compensations: COMPENSATIONS.reserve, run: reserve },
  {
    name: 'startPayment',
    runsAt: 'INVENTORY_RESERVED',
    compensations: COMPENSATIONS.startPayment,
    run: startPayment,
  },
  { name: 'charge', runsAt: 'PAYMENT_PENDING', compensations: COMPENSATIONS.charge, run: charge },
  {
    name: 'complete',
    runsAt: 'PAYMENT_COMPLETED',
    compensations: COMPENSATIONS.complete,
    run: complete,
  },
];

/**
 * The checkout saga (docs/architecture.md, "Checkout"): drives one session from whatever state it is in
 * to COMPLETED or FAILED, one step of SAGA_STEPS at a time, writing each step to the same row
 * before taking the next. Every external call is idempotent per checkout id (Reserve, Charge,
 * Confirm, Release, Refund), so re-running a step whose outcome was not recorded (a crash, a
 * lost answer) cannot reserve or charge twice; that is what makes recovery a plain re-drive.
 *
 * See README.md for the step → compensation → recovery table.
 */
export function createSaga(deps: SagaDependencies) {
  const { store, leases, logger } = deps;

  async function step(session: SessionRecord, options: DriveOptions): Promise<SessionRecord> {
    if (session.status === 'FAILED') return compensate(deps, session);
    const next = SAGA_STEPS.find((s) => s.runsAt === session.status);
    return next ? next.run(deps, session, options) : session;
  }

  return {
    /**
     * Drives a session this process holds the lease of until it is final (or, for a FAILED one,
     * until its compensation is done or has to wait for a retry). Returns the row as it ends.
     * When another process took the session over, returns the row as that one left it so far.
     */
    async drive(session: SessionRecord, options: DriveOptions): Promise<SessionRecord> {
      leases.hold(session.id);
      const log = logger.child({ checkoutId: session.id });
      try {
        let current = session;
        while (needsWork(current)) {
          const before = current;
          current = await step(current, options);
          // A FAILED session whose compensation still failed waits for the next attempt.
          if (before.status === 'FAILED') break;
        }
        return current;
      } catch (err) {
        if (err instanceof LeaseLostError) {
          log.warn('another process took this checkout over; leaving it to that one');
          return (await store.findById(session.id)) ?? session;
        }
        if (isStoreUnavailable(err)) {
          log.warn({ err }, 'checkout database unavailable; recovery will drive this checkout on');
        } else {
          log.error({ err }, 'checkout stopped on an unexpected error; recovery will retry it');
        }
        throw err;
      } finally {
        leases.drop(session.id);
      }
    },
  };
}

export type Saga = ReturnType<typeof createSaga>;
