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
  snapshotItems,
  type Failure,
  type SessionRecord,
  type SessionStore,
} from '../data/sessionStore';
import { buildCheckoutCompleted, checkoutCompletedMessage } from '../events/checkoutCompleted';
import type { CrashHook } from './crashHook';
import { FailureCode, insufficientStockReason, paymentDeclinedReason, reasons } from './failures';
import type { LeaseKeeper } from './leaseKeeper';
import { sagaMetrics } from '../metrics';

export interface SagaDependencies {
  store: SessionStore;
  inventory: InventoryClient;
  payment: PaymentClient;
  leases: LeaseKeeper;
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

/**
 * The checkout saga (DESIGN.md, "Checkout"): drives one session from whatever state it is in
 * to COMPLETED or FAILED, one step at a time, writing each step to the same row before taking
 * the next. Every external call is idempotent per checkout id (Reserve, Charge, Confirm,
 * Release, Refund), so re-running a step whose outcome was not recorded (a crash, a lost
 * answer) cannot reserve or charge twice; that is what makes recovery a plain re-drive.
 *
 * See README.md for the step → compensation → recovery table.
 */
export function createSaga(deps: SagaDependencies) {
  const { store, inventory, payment, leases, crash, logger } = deps;

  async function fail(
    session: SessionRecord,
    failure: Failure,
    cause?: unknown,
  ): Promise<SessionRecord> {
    const failed = await store.fail(session.id, session.status, failure);
    sagaMetrics.failed.inc({ code: failure.code, step: session.status });
    logger.info(
      { checkoutId: session.id, step: session.status, failureCode: failure.code, err: cause },
      'checkout failed',
    );
    crash('FAILED');
    return failed;
  }

  const lines = (session: SessionRecord) =>
    snapshotItems(session).map(({ productId, quantity }) => ({ productId, quantity }));

  /** INITIATED → INVENTORY_RESERVED: hold all the stock, or none. */
  async function reserve(session: SessionRecord): Promise<SessionRecord> {
    let reservationId: string;
    try {
      const reservation = await inventory.reserve(session.id, lines(session));
      crash('AFTER_RESERVE');
      if (reservation.status !== 'ACTIVE') {
        // Only a re-drive sees this: the first Reserve happened long ago and has run out.
        return await fail(session, {
          code: FailureCode.RESERVATION_EXPIRED,
          reason: reasons.reservationExpired,
          releasePending: false,
          refundPending: false,
        });
      }
      reservationId = reservation.reservationId;
    } catch (err) {
      if (err instanceof InsufficientStockError) {
        return fail(session, {
          code: FailureCode.INSUFFICIENT_STOCK,
          reason: insufficientStockReason(err.shortages, snapshotItems(session)),
          // All or nothing: a refused Reserve held nothing.
          releasePending: false,
          refundPending: false,
        });
      }
      if (err instanceof DependencyUnavailableError || isDefiniteGrpcAnswer(err)) {
        return fail(
          session,
          {
            code: FailureCode.INVENTORY_UNAVAILABLE,
            reason: reasons.inventoryUnavailable,
            // A Reserve whose answer was lost may have held stock; Release of nothing is a no-op.
            releasePending: !(err instanceof DependencyUnavailableError) || err.mayHaveApplied,
            refundPending: false,
          },
          err,
        );
      }
      throw err;
    }
    const reserved = await store.advance(session.id, 'INITIATED', 'INVENTORY_RESERVED', {
      inventoryReservationId: reservationId,
    });
    crash('INVENTORY_RESERVED');
    return reserved;
  }

  /**
   * INVENTORY_RESERVED → PAYMENT_PENDING. A re-drive first checks the reservation still holds
   * (Reserve again answers the existing one): charging for stock that already went back on
   * sale would only be refunded later.
   */
  async function startPayment(
    session: SessionRecord,
    options: DriveOptions,
  ): Promise<SessionRecord> {
    if (options.recovering) {
      try {
        const reservation = await inventory.reserve(session.id, lines(session));
        if (reservation.status !== 'ACTIVE') {
          return await fail(session, {
            code: FailureCode.RESERVATION_EXPIRED,
            reason: reasons.reservationExpired,
            releasePending: false,
            refundPending: false,
          });
        }
      } catch (err) {
        if (
          err instanceof DependencyUnavailableError ||
          err instanceof InsufficientStockError ||
          isDefiniteGrpcAnswer(err)
        ) {
          return fail(
            session,
            {
              code: FailureCode.INVENTORY_UNAVAILABLE,
              reason: reasons.inventoryUnavailable,
              releasePending: true,
              refundPending: false,
            },
            err,
          );
        }
        throw err;
      }
    }
    const pending = await store.advance(session.id, 'INVENTORY_RESERVED', 'PAYMENT_PENDING');
    crash('PAYMENT_PENDING');
    return pending;
  }

  /**
   * PAYMENT_PENDING → PAYMENT_COMPLETED. The session says PAYMENT_PENDING before Charge is
   * sent, so after a crash it is known that a charge may exist. A re-drive asks GetCharge
   * first and only charges when there is none; Charge is idempotent per checkout id anyway,
   * so even a second Charge returns the first result.
   */
  async function charge(session: SessionRecord, options: DriveOptions): Promise<SessionRecord> {
    let outcome;
    try {
      if (options.recovering) outcome = await payment.getCharge(session.id);
      outcome ??= await payment.charge({
        checkoutId: session.id,
        userId: session.userId,
        amount: session.totalAmount.toFixed(2),
        currencyCode: session.currency,
        paymentMethod: session.paymentMethod,
      });
      crash('AFTER_CHARGE');
    } catch (err) {
      if (err instanceof DependencyUnavailableError || isDefiniteGrpcAnswer(err)) {
        return fail(
          session,
          {
            code: FailureCode.PAYMENT_UNAVAILABLE,
            reason: reasons.paymentUnavailable,
            releasePending: true,
            // Unless the call certainly never left (breaker open on a first attempt), a charge
            // may exist; Refund of a checkout never charged is a no-op.
            refundPending:
              options.recovering ||
              !(err instanceof DependencyUnavailableError) ||
              err.mayHaveApplied,
          },
          err,
        );
      }
      throw err;
    }
    if (outcome.status === 'DECLINED') {
      return fail(session, {
        code: FailureCode.PAYMENT_DECLINED,
        reason: paymentDeclinedReason(outcome.declineCode),
        releasePending: true,
        refundPending: false,
      });
    }
    if (outcome.status !== 'SUCCEEDED') {
      // REFUNDED (someone refunded it out of band) or a status this code does not know.
      return fail(session, {
        code: FailureCode.PAYMENT_UNAVAILABLE,
        reason: reasons.paymentUnavailable,
        releasePending: true,
        refundPending: true,
      });
    }
    const paid = await store.advance(session.id, 'PAYMENT_PENDING', 'PAYMENT_COMPLETED', {
      paymentId: outcome.paymentId,
    });
    crash('PAYMENT_COMPLETED');
    return paid;
  }

  /**
   * PAYMENT_COMPLETED → COMPLETED. The reservation is confirmed BEFORE the session completes:
   * COMPLETED then always means "paid and the stock is sold". The other order would let a
   * crash between the two leave a completed order whose reservation later expires and puts
   * its stock back on sale: an oversell. Then COMPLETED and the outbox row commit together.
   */
  async function complete(session: SessionRecord): Promise<SessionRecord> {
    try {
      await inventory.confirm(session.id);
      crash('AFTER_CONFIRM');
    } catch (err) {
      if (err instanceof ReservationGoneError) {
        return fail(
          session,
          {
            code: FailureCode.RESERVATION_EXPIRED,
            reason: reasons.reservationExpired,
            releasePending: false,
            refundPending: true,
          },
          err,
        );
      }
      if (err instanceof DependencyUnavailableError || isDefiniteGrpcAnswer(err)) {
        return fail(
          session,
          {
            code: FailureCode.INVENTORY_UNAVAILABLE,
            reason: reasons.inventoryUnavailableAfterPayment,
            releasePending: true,
            refundPending: true,
          },
          err,
        );
      }
      throw err;
    }
    const completedAt = new Date();
    const event = buildCheckoutCompleted(session, completedAt);
    const completed = await store.complete(
      session.id,
      completedAt,
      checkoutCompletedMessage(event, deps.checkoutEventsTopic),
    );
    sagaMetrics.completed.inc();
    crash('COMPLETED');
    return completed;
  }

  /**
   * Runs the compensation a FAILED session still owes. Release and Refund are idempotent and
   * harmless for something that never happened, so "maybe happened" is compensated too. What
   * fails stays owed; recovery retries it once the lease runs out.
   */
  async function compensate(session: SessionRecord): Promise<SessionRecord> {
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
        await payment.refund(session.id);
        refundPending = false;
      } catch (err) {
        if (!(err instanceof DependencyUnavailableError)) throw err;
        logger.warn({ checkoutId: session.id, err }, 'refund failed; will retry');
      }
    }
    if (!releasePending && !refundPending) sagaMetrics.compensated.inc();
    return store.settleCompensation(session.id, { releasePending, refundPending });
  }

  async function step(session: SessionRecord, options: DriveOptions): Promise<SessionRecord> {
    switch (session.status) {
      case 'INITIATED':
        return reserve(session);
      case 'INVENTORY_RESERVED':
        return startPayment(session, options);
      case 'PAYMENT_PENDING':
        return charge(session, options);
      case 'PAYMENT_COMPLETED':
        return complete(session);
      case 'FAILED':
        return compensate(session);
      case 'COMPLETED':
        return session;
    }
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
        log.error({ err }, 'checkout stopped on an unexpected error; recovery will retry it');
        throw err;
      } finally {
        leases.drop(session.id);
      }
    },
  };
}

export type Saga = ReturnType<typeof createSaga>;
