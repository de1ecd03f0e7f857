import { randomUUID } from 'node:crypto';
import type { Shortage } from '../../contracts/inventory/insufficientStock';
import type { StockSeed } from './stockSeed';

/**
 * The inventory stub's whole state: units on hand per product and one reservation per checkout.
 * Pure and synchronous (the clock is injected), so every rule here is unit-tested with a fake
 * clock and the gRPC layer only translates.
 *
 * Why no lock: Node runs this on one thread and no method awaits, so each call runs to the end
 * before any other request is looked at. Check-and-reserve is therefore atomic, and 50
 * concurrent Reserve calls for 10 units cannot oversell. Keep it that way: an `await` between
 * the availability check and the deduction would reopen the race.
 */

export type ReservationStatus = 'ACTIVE' | 'CONFIRMED' | 'RELEASED' | 'EXPIRED';

export interface ReservationLine {
  productId: string;
  quantity: number;
}

export interface Reservation {
  id: string;
  checkoutId: string;
  /** One line per product, quantities of repeated products added up. */
  items: readonly ReservationLine[];
  status: ReservationStatus;
  createdAt: number;
  /** Epoch ms; an ACTIVE reservation gives its stock back at this time. */
  expiresAt: number;
}

export interface StockLevel {
  productId: string;
  /** On hand minus active reservations: what a new reservation may take. */
  available: number;
  reserved: number;
}

/** A short product is part of the inventory contract: the Reserve trailer carries it. */
export type { Shortage };

/** Malformed request (empty checkout id, no items, quantity below 1): the caller's bug. */
export class InvalidReservationRequestError extends Error {
  override readonly name = 'InvalidReservationRequestError';
}

/** Not enough units of one or more products; nothing was reserved. */
export class InsufficientStockError extends Error {
  override readonly name = 'InsufficientStockError';
  constructor(readonly shortages: readonly Shortage[]) {
    super(
      `Insufficient stock: ${shortages
        .map((s) => `product ${s.productId} has ${s.available} available, ${s.requested} requested`)
        .join('; ')}`,
    );
  }
}

/** The checkout already holds a reservation, for different items: a caller bug, not a retry. */
export class ReservationMismatchError extends Error {
  override readonly name = 'ReservationMismatchError';
}

export class ReservationNotFoundError extends Error {
  override readonly name = 'ReservationNotFoundError';
}

/** Confirm of an expired or released reservation, or release of a confirmed one. */
export class ReservationNotActiveError extends Error {
  override readonly name = 'ReservationNotActiveError';
  constructor(
    message: string,
    readonly reservation: Reservation,
  ) {
    super(message);
  }
}

export interface StockLedgerOptions {
  /** How long an ACTIVE reservation holds its stock. */
  ttlMs: number;
  now?: () => number;
  newReservationId?: () => string;
  /**
   * Told whenever a reservation leaves ACTIVE (confirmed, released, or expired by the sweep or
   * lazily by another call); for metrics and logs, so it must not call back into the ledger.
   */
  onFinished?: (reservation: Reservation) => void;
}

interface StockEntry {
  onHand: number;
  reserved: number;
}

export class StockLedger {
  private readonly stock = new Map<string, StockEntry>();
  /** Every reservation ever made, by checkout id: idempotency needs the finished ones too. */
  private readonly reservations = new Map<string, Reservation>();
  /**
   * The ACTIVE ones, in insertion order. The TTL is the same for all and the clock only moves
   * forward, so insertion order is expiry order and a sweep stops at the first one not yet due.
   */
  private readonly active = new Map<string, Reservation>();
  /** Restock calls per checkout: one entry means its stock already went back (idempotency). */
  private readonly restocks = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly newReservationId: () => string;
  private readonly onFinished: (reservation: Reservation) => void;

  constructor(seed: StockSeed, options: StockLedgerOptions) {
    for (const [productId, units] of seed)
      this.stock.set(productId, { onHand: units, reserved: 0 });
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
    this.newReservationId = options.newReservationId ?? (() => `res_${randomUUID()}`);
    this.onFinished = options.onFinished ?? (() => undefined);
  }

  /** The given products' levels, or every stocked product's (sorted by id) when none are given. */
  getStock(productIds: readonly string[] = []): StockLevel[] {
    this.expireDue();
    const ids = productIds.length
      ? productIds
      : [...this.stock.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    return ids.map((productId) => this.levelOf(productId));
  }

  /**
   * Reserves every line or none. A repeat for the same checkout returns the first reservation
   * as it is now (ACTIVE, or CONFIRMED/RELEASED/EXPIRED if it has moved on) and reserves nothing
   * more. A failed attempt records nothing, so a retry looks at the stock afresh.
   */
  reserve(
    checkoutId: string,
    lines: readonly ReservationLine[],
  ): { reservation: Reservation; repeated: boolean } {
    if (!checkoutId) throw new InvalidReservationRequestError('checkout_id is required');
    const items = mergeLines(lines);
    this.expireDue();

    const existing = this.reservations.get(checkoutId);
    if (existing) {
      if (!sameLines(existing.items, items)) {
        throw new ReservationMismatchError(
          `checkout ${checkoutId} already holds reservation ${existing.id} for different items`,
        );
      }
      return { reservation: snapshot(existing), repeated: true };
    }

    const shortages = items
      .map(({ productId, quantity }) => ({
        productId,
        requested: quantity,
        available: this.levelOf(productId).available,
      }))
      .filter((s) => s.available < s.requested);
    if (shortages.length) throw new InsufficientStockError(shortages);

    for (const { productId, quantity } of items) this.entryOf(productId).reserved += quantity;
    const createdAt = this.now();
    const reservation: Reservation = {
      id: this.newReservationId(),
      checkoutId,
      items,
      status: 'ACTIVE',
      createdAt,
      expiresAt: createdAt + this.ttlMs,
    };
    this.reservations.set(checkoutId, reservation);
    this.active.set(checkoutId, reservation);
    return { reservation: snapshot(reservation), repeated: false };
  }

  /** Makes the deduction permanent. Idempotent; too late once the reservation expired. */
  confirm(checkoutId: string): Reservation {
    this.expireDue();
    const reservation = this.find(checkoutId);
    if (reservation.status === 'CONFIRMED') return snapshot(reservation);
    if (reservation.status !== 'ACTIVE') {
      throw new ReservationNotActiveError(
        `reservation ${reservation.id} for checkout ${checkoutId} is ${reservation.status}; its stock is no longer held`,
        snapshot(reservation),
      );
    }
    for (const { productId, quantity } of reservation.items) {
      const entry = this.entryOf(productId);
      entry.reserved -= quantity;
      entry.onHand -= quantity;
    }
    this.finish(reservation, 'CONFIRMED');
    return snapshot(reservation);
  }

  /**
   * Gives the stock back. Idempotent: an unknown checkout (nothing held) answers undefined, an
   * expired or released reservation answers as it is. A confirmed one is sold: refused.
   */
  release(checkoutId: string): Reservation | undefined {
    this.expireDue();
    const reservation = this.reservations.get(checkoutId);
    if (!reservation) return undefined;
    if (reservation.status === 'CONFIRMED') {
      throw new ReservationNotActiveError(
        `reservation ${reservation.id} for checkout ${checkoutId} is CONFIRMED; its stock is sold`,
        snapshot(reservation),
      );
    }
    if (reservation.status === 'ACTIVE') {
      this.giveBack(reservation);
      this.finish(reservation, 'RELEASED');
    }
    return snapshot(reservation);
  }

  /**
   * Returns the sold units of a cancelled order to stock, once per checkout. Only a CONFIRMED
   * reservation has sold stock to return; `lines` may not return more of a product than it sold
   * (a caller bug would otherwise create stock). A repeat adds nothing: restockedNow false.
   */
  restock(
    checkoutId: string,
    lines: readonly ReservationLine[],
  ): { restockedNow: boolean; requests: number } {
    this.expireDue();
    const reservation = this.find(checkoutId);
    const items = mergeLines(lines);
    const seen = this.restocks.get(checkoutId);
    if (seen !== undefined) {
      this.restocks.set(checkoutId, seen + 1);
      return { restockedNow: false, requests: seen + 1 };
    }
    if (reservation.status !== 'CONFIRMED') {
      throw new ReservationNotActiveError(
        `reservation ${reservation.id} for checkout ${checkoutId} is ${reservation.status}, not CONFIRMED: it sold nothing to return`,
        snapshot(reservation),
      );
    }
    const sold = new Map(reservation.items.map((l) => [l.productId, l.quantity]));
    const tooMany = items.find((l) => l.quantity > (sold.get(l.productId) ?? 0));
    if (tooMany) {
      throw new InvalidReservationRequestError(
        `checkout ${checkoutId} sold ${sold.get(tooMany.productId) ?? 0} of product ${tooMany.productId}; cannot restock ${tooMany.quantity}`,
      );
    }
    for (const { productId, quantity } of items) this.entryOf(productId).onHand += quantity;
    this.restocks.set(checkoutId, 1);
    return { restockedNow: true, requests: 1 };
  }

  /** For tests and local runs: sets what is free to reserve, leaving reservations alone. */
  setAvailable(productId: string, available: number): StockLevel {
    if (!productId) throw new InvalidReservationRequestError('product_id is required');
    if (!Number.isInteger(available) || available < 0) {
      throw new InvalidReservationRequestError(`available must be 0 or more, got ${available}`);
    }
    this.expireDue();
    const entry = this.entryOf(productId);
    entry.onHand = available + entry.reserved;
    return this.levelOf(productId);
  }

  /** Expires every ACTIVE reservation that is due and gives its stock back. */
  expireDue(): Reservation[] {
    const now = this.now();
    const expired: Reservation[] = [];
    for (const reservation of this.active.values()) {
      if (reservation.expiresAt > now) break;
      this.giveBack(reservation);
      this.finish(reservation, 'EXPIRED');
      expired.push(snapshot(reservation));
    }
    return expired;
  }

  /** How many reservations still hold stock; for metrics and logs. */
  get activeCount(): number {
    return this.active.size;
  }

  private find(checkoutId: string): Reservation {
    const reservation = this.reservations.get(checkoutId);
    if (!reservation) {
      throw new ReservationNotFoundError(`no reservation for checkout ${checkoutId}`);
    }
    return reservation;
  }

  private giveBack(reservation: Reservation): void {
    for (const { productId, quantity } of reservation.items) {
      this.entryOf(productId).reserved -= quantity;
    }
  }

  private finish(reservation: Reservation, status: Exclude<ReservationStatus, 'ACTIVE'>): void {
    reservation.status = status;
    this.active.delete(reservation.checkoutId);
    this.onFinished(snapshot(reservation));
  }

  private levelOf(productId: string): StockLevel {
    const entry = this.stock.get(productId);
    if (!entry) return { productId, available: 0, reserved: 0 };
    return { productId, available: entry.onHand - entry.reserved, reserved: entry.reserved };
  }

  private entryOf(productId: string): StockEntry {
    let entry = this.stock.get(productId);
    if (!entry) {
      entry = { onHand: 0, reserved: 0 };
      this.stock.set(productId, entry);
    }
    return entry;
  }
}

/** Validates lines and adds up repeated products, so a reservation holds one line per product. */
function mergeLines(lines: readonly ReservationLine[]): ReservationLine[] {
  if (!lines.length) throw new InvalidReservationRequestError('items must not be empty');
  const quantities = new Map<string, number>();
  for (const { productId, quantity } of lines) {
    if (!productId) throw new InvalidReservationRequestError('every item needs a product_id');
    if (!Number.isInteger(quantity) || quantity < 1) {
      throw new InvalidReservationRequestError(
        `quantity for product ${productId} must be 1 or more, got ${quantity}`,
      );
    }
    quantities.set(productId, (quantities.get(productId) ?? 0) + quantity);
  }
  return [...quantities].map(([productId, quantity]) => ({ productId, quantity }));
}

function sameLines(a: readonly ReservationLine[], b: readonly ReservationLine[]): boolean {
  if (a.length !== b.length) return false;
  const quantities = new Map(a.map((l) => [l.productId, l.quantity]));
  return b.every((l) => quantities.get(l.productId) === l.quantity);
}

/** Callers get copies: the ledger's records change status later and must not be edited outside. */
function snapshot(reservation: Reservation): Reservation {
  return { ...reservation, items: reservation.items.map((l) => ({ ...l })) };
}
