/**
 * The saga without servers: fakes of the session store and the inventory/payment clients, so
 * each failure at each step is checked against the compensation it owes in milliseconds. The
 * real-server crash, race and duplicate tests stay in test/ (crashRecovery.test.ts and others).
 */
import pino from 'pino';
import {
  DependencyUnavailableError,
  InsufficientStockError,
  ReservationGoneError,
  ReservationSoldError,
  type ChargeOutcome,
  type RefundOutcome,
} from '@shop/internal-grpc';
import { Prisma } from '../__generated__/prisma/client';
import type { CrashPoint } from '../config';
import { LeaseLostError, type Failure, type SessionRecord } from '../data/sessionStore';
import { COMPENSATIONS, isOwed } from './compensations';
import { FailureCode } from './failures';
import { SAGA_STEPS, createSaga, type SagaDependencies } from './orchestrator';

const ID = '00000000-0000-4000-8000-000000000001';
const logger = pino({ level: 'silent' });

function newSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = new Date();
  return {
    id: ID,
    userId: 'alice',
    idempotencyKey: 'k1',
    requestFingerprint: 'f'.repeat(64),
    status: 'INITIATED',
    cartSnapshot: [{ productId: '1', name: 'Laptop', quantity: 2, unitPrice: '10.00' }],
    totalAmount: new Prisma.Decimal('20.00'),
    currency: 'USD',
    shippingAddress: {},
    paymentMethod: 'pm_card_visa',
    inventoryReservationId: null,
    paymentId: null,
    failureCode: null,
    failureReason: null,
    releasePending: false,
    refundPending: false,
    leaseOwner: 'me',
    leaseExpiresAt: now,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    ...overrides,
  };
}

/** Stands in for the process dying at a crash point: the step stops where it is. */
class Crash extends Error {}

const SUCCEEDED: ChargeOutcome = {
  paymentId: 'pay-1',
  status: 'SUCCEEDED',
  declineCode: '',
  declineMessage: '',
};

const unavailable = (mayHaveApplied: boolean) =>
  new DependencyUnavailableError('x', 'Call', mayHaveApplied, new Error('connection refused'));

/** A world of fakes: one session row, scripted stub answers, and a log of every stub call. */
function world(session: SessionRecord = newSession()) {
  let row = session;
  const calls: string[] = [];
  let crashAt: CrashPoint | undefined;
  const script = {
    reserve: async (): Promise<{ reservationId: string; status: 'ACTIVE' | 'EXPIRED' }> => ({
      reservationId: 'res-1',
      status: 'ACTIVE',
    }),
    confirm: async () => ({ reservationId: 'res-1' }),
    release: async (): Promise<void> => undefined,
    charge: async (): Promise<ChargeOutcome> => SUCCEEDED,
    getCharge: async (): Promise<ChargeOutcome | undefined> => undefined,
    refund: async (): Promise<RefundOutcome> => ({ kind: 'refunded', paymentId: 'pay-1' }),
  };
  const guard = (from: string) => {
    if (row.status !== from) throw new LeaseLostError(row.id);
  };
  const deps: SagaDependencies = {
    store: {
      advance: async (_id, from, to, fields = {}) => {
        guard(from);
        row = { ...row, ...(fields as Partial<SessionRecord>), status: to };
        return row;
      },
      fail: async (_id, from, failure: Failure) => {
        guard(from);
        row = {
          ...row,
          status: 'FAILED',
          failureCode: failure.code,
          failureReason: failure.reason,
          releasePending: failure.releasePending,
          refundPending: failure.refundPending,
        };
        return row;
      },
      settleCompensation: async (_id, owed) => {
        guard('FAILED');
        row = { ...row, ...owed };
        return row;
      },
      complete: async (_id, completedAt) => {
        guard('PAYMENT_COMPLETED');
        row = { ...row, status: 'COMPLETED', completedAt };
        return row;
      },
      findById: async () => row,
    },
    inventory: {
      reserve: () => (calls.push('reserve'), script.reserve()),
      confirm: () => (calls.push('confirm'), script.confirm()),
      release: () => (calls.push('release'), script.release()),
    },
    payment: {
      charge: () => (calls.push('charge'), script.charge()),
      getCharge: () => (calls.push('getCharge'), script.getCharge()),
      refund: () => (calls.push('refund'), script.refund()),
    },
    leases: { hold: () => undefined, drop: () => undefined },
    crash: (point) => {
      if (point === crashAt) throw new Crash(point);
    },
    checkoutEventsTopic: 'checkout-events',
    logger,
  };
  const saga = createSaga(deps);
  return {
    script,
    calls,
    get row() {
      return row;
    },
    crashAt(point: CrashPoint) {
      crashAt = point;
    },
    /** Drives until final (or a Crash), as the checkout mutation does. */
    drive: (recovering = false) => saga.drive(row, { recovering }),
    /** A fresh process taking over the row as recovery would. */
    recover() {
      crashAt = undefined;
      return createSaga(deps).drive(row, { recovering: true });
    },
  };
}

describe('SAGA_STEPS', () => {
  it('lists the steps in order, each with its compensations beside it', () => {
    expect(SAGA_STEPS.map((s) => [s.name, s.runsAt])).toEqual([
      ['reserve', 'INITIATED'],
      ['startPayment', 'INVENTORY_RESERVED'],
      ['charge', 'PAYMENT_PENDING'],
      ['complete', 'PAYMENT_COMPLETED'],
    ]);
    for (const step of SAGA_STEPS) expect(step.compensations).toBe(COMPENSATIONS[step.name]);
  });

  it('resolves "maybe owed" from the cause and the re-drive', () => {
    expect(isOwed('if-sent', unavailable(false), false)).toBe(false);
    expect(isOwed('if-sent', unavailable(false), true)).toBe(false);
    expect(isOwed('if-sent', unavailable(true), false)).toBe(true);
    expect(isOwed('if-sent', new Error('definite answer'), false)).toBe(true);
    expect(isOwed('if-sent-or-recovering', unavailable(false), false)).toBe(false);
    expect(isOwed('if-sent-or-recovering', unavailable(false), true)).toBe(true);
  });
});

describe('the happy path', () => {
  it('reserves, charges, confirms and completes, in that order', async () => {
    const w = world();
    const final = await w.drive();
    expect(final.status).toBe('COMPLETED');
    expect(w.calls).toEqual(['reserve', 'charge', 'confirm']);
    expect(final).toMatchObject({ inventoryReservationId: 'res-1', paymentId: 'pay-1' });
  });
});

describe('each failure at each step owes its compensation', () => {
  const expectFailed = (
    row: SessionRecord,
    code: FailureCode,
    owed: { releasePending: boolean; refundPending: boolean },
  ) => expect(row).toMatchObject({ status: 'FAILED', failureCode: code, ...owed });

  it('reserve: insufficient stock → nothing to undo', async () => {
    const w = world();
    w.script.reserve = async () => {
      throw new InsufficientStockError([{ productId: '1', requested: 2, available: 1 }]);
    };
    const final = await w.drive();
    expectFailed(final, FailureCode.INSUFFICIENT_STOCK, {
      releasePending: false,
      refundPending: false,
    });
    expect(final.failureReason).toContain('Laptop (only 1 left, you asked for 2)');
    expect(w.calls).toEqual(['reserve']);
  });

  it('reserve: breaker open (call never left) → nothing to undo', async () => {
    const w = world();
    w.script.reserve = async () => {
      throw unavailable(false);
    };
    expectFailed(await w.drive(), FailureCode.INVENTORY_UNAVAILABLE, {
      releasePending: false,
      refundPending: false,
    });
    expect(w.calls).toEqual(['reserve']);
  });

  it('reserve: answer lost (may have applied) → release, and it is run', async () => {
    const w = world();
    w.script.reserve = async () => {
      throw unavailable(true);
    };
    const final = await w.drive();
    expect(final).toMatchObject({ status: 'FAILED', failureCode: 'INVENTORY_UNAVAILABLE' });
    // The compensation ran in the same drive and is no longer owed.
    expect(w.calls).toEqual(['reserve', 'release']);
    expect(final).toMatchObject({ releasePending: false, refundPending: false });
  });

  it('reserve: an expired reservation on a re-drive → nothing to undo', async () => {
    const w = world();
    w.script.reserve = async () => ({ reservationId: 'res-1', status: 'EXPIRED' });
    expectFailed(await w.drive(true), FailureCode.RESERVATION_EXPIRED, {
      releasePending: false,
      refundPending: false,
    });
  });

  it('startPayment on a re-drive: inventory unreachable → release', async () => {
    const w = world(newSession({ status: 'INVENTORY_RESERVED' }));
    w.script.reserve = async () => {
      throw unavailable(false);
    };
    w.script.release = async () => {
      throw unavailable(false);
    };
    // Release fails too, so it stays owed for recovery to retry.
    expectFailed(await w.drive(true), FailureCode.INVENTORY_UNAVAILABLE, {
      releasePending: true,
      refundPending: false,
    });
    expect(w.calls).toEqual(['reserve', 'release']);
  });

  it('charge declined → release the reservation, no refund', async () => {
    const w = world();
    w.script.charge = async () => ({
      paymentId: 'pay-1',
      status: 'DECLINED',
      declineCode: 'insufficient_funds',
      declineMessage: 'no',
    });
    const final = await w.drive();
    expect(final).toMatchObject({ status: 'FAILED', failureCode: 'PAYMENT_DECLINED' });
    expect(final.failureReason).toContain('insufficient funds');
    expect(w.calls).toEqual(['reserve', 'charge', 'release']);
  });

  it('charge: breaker open on a first attempt → release only', async () => {
    const w = world();
    w.script.charge = async () => {
      throw unavailable(false);
    };
    w.script.release = async () => {
      throw unavailable(false);
    };
    expectFailed(await w.drive(), FailureCode.PAYMENT_UNAVAILABLE, {
      releasePending: true,
      refundPending: false,
    });
  });

  it('charge: answer lost → release and refund', async () => {
    const w = world();
    w.script.charge = async () => {
      throw unavailable(true);
    };
    const final = await w.drive();
    expect(final).toMatchObject({ status: 'FAILED', failureCode: 'PAYMENT_UNAVAILABLE' });
    expect(w.calls).toEqual(['reserve', 'charge', 'release', 'refund']);
  });

  it('charge: payment unreachable on a re-drive → release and refund (an earlier charge may exist)', async () => {
    const w = world(newSession({ status: 'PAYMENT_PENDING' }));
    w.script.getCharge = async () => {
      throw unavailable(false);
    };
    w.script.release = async () => {
      throw unavailable(false);
    };
    w.script.refund = async () => {
      throw unavailable(false);
    };
    expectFailed(await w.drive(true), FailureCode.PAYMENT_UNAVAILABLE, {
      releasePending: true,
      refundPending: true,
    });
  });

  it('charge answered REFUNDED → release and refund', async () => {
    const w = world();
    w.script.charge = async () => ({ ...SUCCEEDED, status: 'REFUNDED' });
    const final = await w.drive();
    expect(final.failureCode).toBe('PAYMENT_UNAVAILABLE');
    expect(w.calls).toEqual(['reserve', 'charge', 'release', 'refund']);
  });

  it('confirm too late (reservation gone) → refund, nothing to release', async () => {
    const w = world();
    w.script.confirm = async () => {
      throw new ReservationGoneError('expired');
    };
    const final = await w.drive();
    expect(final.failureCode).toBe('RESERVATION_EXPIRED');
    expect(w.calls).toEqual(['reserve', 'charge', 'confirm', 'refund']);
  });

  it('confirm: inventory unreachable after payment → release and refund', async () => {
    const w = world();
    w.script.confirm = async () => {
      throw unavailable(true);
    };
    const final = await w.drive();
    expect(final.failureCode).toBe('INVENTORY_UNAVAILABLE');
    expect(final.failureReason).toContain('after payment');
    expect(w.calls).toEqual(['reserve', 'charge', 'confirm', 'release', 'refund']);
  });

  it('a release refused because the stock is sold clears the debt (flagged for a person)', async () => {
    const w = world(
      newSession({ status: 'FAILED', failureCode: 'INVENTORY_UNAVAILABLE', releasePending: true }),
    );
    w.script.release = async () => {
      throw new ReservationSoldError('confirmed');
    };
    expect(await w.drive()).toMatchObject({ releasePending: false, refundPending: false });
  });

  it('covers every entry of COMPENSATIONS (a new entry needs a case above)', () => {
    const entries = Object.values(COMPENSATIONS).flatMap((step) => Object.values(step));
    expect(entries).toHaveLength(10);
  });
});

describe('crash recovery (recovery table)', () => {
  it('crash after charge, before it was recorded → recovery finds the charge and completes without charging again', async () => {
    const w = world();
    w.crashAt('AFTER_CHARGE');
    await expect(w.drive()).rejects.toThrow(Crash);
    expect(w.row.status).toBe('PAYMENT_PENDING');
    w.script.getCharge = async () => SUCCEEDED;
    const final = await w.recover();
    expect(final.status).toBe('COMPLETED');
    expect(w.calls.filter((c) => c === 'charge')).toHaveLength(1);
    expect(w.calls).toEqual(['reserve', 'charge', 'getCharge', 'confirm']);
  });

  it('crash at PAYMENT_PENDING before Charge was sent → recovery charges once', async () => {
    const w = world();
    w.crashAt('PAYMENT_PENDING');
    await expect(w.drive()).rejects.toThrow(Crash);
    const final = await w.recover();
    expect(final.status).toBe('COMPLETED');
    expect(w.calls).toEqual(['reserve', 'getCharge', 'charge', 'confirm']);
  });

  it('crash after charge while the reservation expired → recovery fails it and refunds', async () => {
    const w = world();
    w.crashAt('AFTER_CHARGE');
    await expect(w.drive()).rejects.toThrow(Crash);
    w.script.getCharge = async () => SUCCEEDED;
    w.script.confirm = async () => {
      throw new ReservationGoneError('expired');
    };
    const final = await w.recover();
    expect(final).toMatchObject({ status: 'FAILED', failureCode: 'RESERVATION_EXPIRED' });
    expect(w.calls.slice(-2)).toEqual(['confirm', 'refund']);
  });

  it('crash at FAILED with compensation owed → recovery runs it', async () => {
    const w = world();
    w.script.charge = async () => {
      throw unavailable(true);
    };
    w.crashAt('FAILED');
    await expect(w.drive()).rejects.toThrow(Crash);
    expect(w.row).toMatchObject({ releasePending: true, refundPending: true });
    const final = await w.recover();
    expect(final).toMatchObject({ releasePending: false, refundPending: false });
    expect(w.calls.slice(-2)).toEqual(['release', 'refund']);
  });

  it('a step that finds the row moved on (lease lost) stops and returns the row as it is', async () => {
    const w = world();
    w.script.reserve = async () => {
      // Another process took the session over and moved it on meanwhile.
      Object.assign(w.row, { status: 'INVENTORY_RESERVED' });
      return { reservationId: 'res-1', status: 'ACTIVE' };
    };
    const final = await w.drive();
    expect(final.status).toBe('INVENTORY_RESERVED');
    expect(w.calls).toEqual(['reserve']);
  });
});
