import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { CartClient, CatalogClient } from '@shop/internal-grpc';
import { conflict, serviceUnavailable } from '@shop/shared';
import { isStoreUnavailable } from '../data/outages';
import { TERMINAL_STATUSES, type SessionRecord, type SessionStore } from '../data/sessionStore';
import { takeCartSnapshot } from './cartSnapshot';
import { fingerprintOf, parseCheckoutInput, type CheckoutRequest } from './checkoutRequest';
import type { CrashHook } from './crashHook';
import type { Saga } from './orchestrator';
import { sagaMetrics } from '../metrics';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const keyReused = () =>
  conflict(
    'This idempotencyKey was already used for a checkout with a different shipping address or ' +
      'payment method. Use a new key for a new checkout.',
  );

/**
 * The `checkout` mutation: idempotency first, then the snapshot, then the saga.
 *
 * Duplicates are caught twice. Within this process, a map of running checkouts hands a
 * duplicate the first one's promise (no second snapshot, no second saga). Across processes,
 * the unique (user_id, idempotency_key) index lets exactly one insert win; the losers read
 * the winner's row and wait for it to become final. The map only saves work; the index is
 * the guarantee.
 */
export function createCheckoutCommand(deps: {
  store: SessionStore;
  saga: Saga;
  cart: CartClient;
  catalog: CatalogClient;
  crash: CrashHook;
  /** How long a duplicate waits for the first submission to finish. */
  waitMs: number;
  logger: Logger;
}) {
  const { store, saga, crash, logger } = deps;
  const running = new Map<string, { fingerprint: string; promise: Promise<SessionRecord> }>();

  /**
   * Waits until a session driven elsewhere (another request, another process, recovery) is
   * final, or until `waitMs` passes (then returns it as it stands: the client follows it with
   * checkoutSession). If its driver died, takes it over at once rather than waiting for the
   * recovery loop: a client retrying after a crash gets its answer without delay.
   */
  async function settled(session: SessionRecord): Promise<SessionRecord> {
    const deadline = Date.now() + deps.waitMs;
    let current = session;
    let pause = 20;
    while (!TERMINAL_STATUSES.includes(current.status)) {
      if (!current.leaseExpiresAt || current.leaseExpiresAt.getTime() < Date.now()) {
        const [claimed] = await store.claimStale(1, current.id);
        if (claimed) return saga.drive(claimed, { recovering: true });
      }
      if (Date.now() >= deadline) return current;
      await sleep(pause);
      pause = Math.min(pause * 2, 500);
      current = (await store.findById(current.id)) ?? current;
    }
    return current;
  }

  function sameRequest(session: SessionRecord, fingerprint: string): SessionRecord {
    if (session.requestFingerprint !== fingerprint) throw keyReused();
    return session;
  }

  async function run(
    userId: string,
    request: CheckoutRequest,
    fingerprint: string,
  ): Promise<SessionRecord> {
    const existing = await store.findByKey(userId, request.idempotencyKey);
    if (existing) return settled(sameRequest(existing, fingerprint));

    const snapshot = await takeCartSnapshot(userId, deps.cart, deps.catalog);
    const created = await store.insert({
      userId,
      idempotencyKey: request.idempotencyKey,
      requestFingerprint: fingerprint,
      items: snapshot.items,
      total: snapshot.total,
      currency: snapshot.currency,
      shippingAddress: request.shippingAddress,
      paymentMethod: request.paymentMethod,
    });
    if (!created) {
      // Another process inserted this key between our lookup and our insert.
      const winner = await store.findByKey(userId, request.idempotencyKey);
      if (!winner) throw new Error('idempotency key conflict without a row');
      return settled(sameRequest(winner, fingerprint));
    }
    crash('INITIATED');
    const stopTimer = sagaMetrics.duration.startTimer();
    const final = await saga.drive(created, { recovering: false });
    stopTimer({ status: final.status });
    return final;
  }

  return {
    /** Runs (or joins) the caller's checkout and returns the session, normally final. */
    async checkout(userId: string, input: unknown): Promise<SessionRecord> {
      const request = parseCheckoutInput(input);
      const fingerprint = fingerprintOf(request);
      const mapKey = JSON.stringify([userId, request.idempotencyKey]);
      const inFlight = running.get(mapKey);
      if (inFlight) {
        if (inFlight.fingerprint !== fingerprint) throw keyReused();
        return inFlight.promise;
      }
      // Duplicates share this promise, errors included, so its failure is shaped here once.
      const promise = run(userId, request, fingerprint).catch((err: unknown) => {
        if (err instanceof GraphQLError) throw err;
        if (isStoreUnavailable(err)) logger.warn({ err, userId }, 'checkout database unavailable');
        else logger.error({ err, userId }, 'checkout could not finish');
        throw serviceUnavailable(
          'Checkout could not finish right now. It will be completed or cancelled automatically: ' +
            'retry with the same idempotencyKey, or follow it with checkoutSession.',
        );
      });
      running.set(mapKey, { fingerprint, promise });
      try {
        return await promise;
      } finally {
        running.delete(mapKey);
      }
    },
  };
}

export type CheckoutCommand = ReturnType<typeof createCheckoutCommand>;
