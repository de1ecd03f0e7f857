import {
  InsufficientStockError,
  InvalidReservationRequestError,
  ReservationMismatchError,
  ReservationNotActiveError,
  ReservationNotFoundError,
  StockLedger,
  type Reservation,
} from './stockLedger';

const TTL = 300_000;

function ledgerWith(stock: Record<string, number>, onFinished?: (r: Reservation) => void) {
  const clock = { now: 1_000_000 };
  let ids = 0;
  const ledger = new StockLedger(new Map(Object.entries(stock)), {
    ttlMs: TTL,
    now: () => clock.now,
    newReservationId: () => `res_${++ids}`,
    onFinished,
  });
  return { ledger, clock };
}

function level(ledger: StockLedger, productId: string) {
  const [found] = ledger.getStock([productId]);
  return found;
}

describe('StockLedger', () => {
  describe('reserve', () => {
    it('holds the units until the TTL, with an expiry TTL after now', () => {
      const { ledger, clock } = ledgerWith({ '1': 10 });
      const { reservation, repeated } = ledger.reserve('co-1', [{ productId: '1', quantity: 3 }]);
      expect(repeated).toBe(false);
      expect(reservation).toMatchObject({ id: 'res_1', status: 'ACTIVE' });
      expect(reservation.expiresAt).toBe(clock.now + TTL);
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 7, reserved: 3 });
    });

    it('is all or nothing: one short product reserves none of the others', () => {
      const { ledger } = ledgerWith({ '1': 10, '2': 1 });
      const attempt = () =>
        ledger.reserve('co-1', [
          { productId: '1', quantity: 5 },
          { productId: '2', quantity: 2 },
        ]);
      expect(attempt).toThrow(InsufficientStockError);
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 10, reserved: 0 });
      expect(level(ledger, '2')).toEqual({ productId: '2', available: 1, reserved: 0 });
    });

    it('names every short product with what is available, unstocked ones as 0', () => {
      const { ledger } = ledgerWith({ '1': 2, '2': 5 });
      let error: unknown;
      try {
        ledger.reserve('co-1', [
          { productId: '1', quantity: 3 },
          { productId: '2', quantity: 5 },
          { productId: 'ghost', quantity: 1 },
        ]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InsufficientStockError);
      expect((error as InsufficientStockError).shortages).toEqual([
        { productId: '1', requested: 3, available: 2 },
        { productId: 'ghost', requested: 1, available: 0 },
      ]);
    });

    it('returns the same reservation for a repeated checkout id and reserves nothing more', () => {
      const { ledger } = ledgerWith({ '1': 10 });
      const items = [{ productId: '1', quantity: 4 }];
      const first = ledger.reserve('co-1', items);
      const second = ledger.reserve('co-1', items);
      expect(second.repeated).toBe(true);
      expect(second.reservation).toEqual(first.reservation);
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 6, reserved: 4 });
    });

    it('treats the same lines in another order, or split, as the same request', () => {
      const { ledger } = ledgerWith({ '1': 10, '2': 10 });
      ledger.reserve('co-1', [
        { productId: '1', quantity: 2 },
        { productId: '2', quantity: 1 },
      ]);
      const repeat = ledger.reserve('co-1', [
        { productId: '2', quantity: 1 },
        { productId: '1', quantity: 1 },
        { productId: '1', quantity: 1 },
      ]);
      expect(repeat.repeated).toBe(true);
      expect(level(ledger, '1')?.reserved).toBe(2);
    });

    it('refuses a repeated checkout id with different items', () => {
      const { ledger } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 1 }]);
      expect(() => ledger.reserve('co-1', [{ productId: '1', quantity: 2 }])).toThrow(
        ReservationMismatchError,
      );
      expect(level(ledger, '1')?.reserved).toBe(1);
    });

    it('records nothing when it fails, so a retry after stock returns can succeed', () => {
      const { ledger } = ledgerWith({ '1': 1 });
      const items = [{ productId: '1', quantity: 2 }];
      expect(() => ledger.reserve('co-1', items)).toThrow(InsufficientStockError);
      ledger.setAvailable('1', 2);
      expect(ledger.reserve('co-1', items).reservation.status).toBe('ACTIVE');
    });

    it.each([
      ['an empty checkout id', '', [{ productId: '1', quantity: 1 }]],
      ['no items', 'co-1', []],
      ['a zero quantity', 'co-1', [{ productId: '1', quantity: 0 }]],
      ['a negative quantity', 'co-1', [{ productId: '1', quantity: -1 }]],
      ['an empty product id', 'co-1', [{ productId: '', quantity: 1 }]],
    ])('rejects %s', (_what, checkoutId, items) => {
      const { ledger } = ledgerWith({ '1': 10 });
      expect(() => ledger.reserve(checkoutId, items)).toThrow(InvalidReservationRequestError);
      expect(level(ledger, '1')?.reserved).toBe(0);
    });
  });

  describe('expiry', () => {
    it('gives the stock back once the TTL has passed, not a millisecond before', () => {
      const finished: Reservation[] = [];
      const { ledger, clock } = ledgerWith({ '1': 10 }, (r) => finished.push(r));
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);

      clock.now += TTL - 1;
      expect(ledger.expireDue()).toEqual([]);
      expect(level(ledger, '1')?.available).toBe(6);

      clock.now += 1;
      expect(ledger.expireDue().map((r) => r.checkoutId)).toEqual(['co-1']);
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 10, reserved: 0 });
      expect(finished.map((r) => r.status)).toEqual(['EXPIRED']);
    });

    it('expires lazily: a read after the TTL sees the stock back without a sweep', () => {
      const { ledger, clock } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 10 }]);
      clock.now += TTL;
      expect(level(ledger, '1')?.available).toBe(10);
      expect(ledger.activeCount).toBe(0);
    });

    it('expires only the reservations that are due', () => {
      const { ledger, clock } = ledgerWith({ '1': 10 });
      ledger.reserve('co-old', [{ productId: '1', quantity: 1 }]);
      clock.now += 1000;
      ledger.reserve('co-new', [{ productId: '1', quantity: 2 }]);
      clock.now += TTL - 1000;
      expect(ledger.expireDue().map((r) => r.checkoutId)).toEqual(['co-old']);
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 8, reserved: 2 });
    });

    it('answers a repeat of an expired reservation with its EXPIRED state, reserving nothing', () => {
      const { ledger, clock } = ledgerWith({ '1': 10 });
      const items = [{ productId: '1', quantity: 3 }];
      const first = ledger.reserve('co-1', items);
      clock.now += TTL;
      const repeat = ledger.reserve('co-1', items);
      expect(repeat).toEqual({
        reservation: { ...first.reservation, status: 'EXPIRED' },
        repeated: true,
      });
      expect(level(ledger, '1')?.reserved).toBe(0);
    });
  });

  describe('confirm', () => {
    it('makes the deduction permanent: expiry time passing later gives nothing back', () => {
      const { ledger, clock } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);
      expect(ledger.confirm('co-1').status).toBe('CONFIRMED');
      clock.now += TTL * 2;
      expect(ledger.expireDue()).toEqual([]);
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 6, reserved: 0 });
    });

    it('is idempotent', () => {
      const { ledger } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);
      const first = ledger.confirm('co-1');
      expect(ledger.confirm('co-1')).toEqual(first);
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 6, reserved: 0 });
    });

    it('is too late once the reservation expired', () => {
      const { ledger, clock } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);
      clock.now += TTL;
      expect(() => ledger.confirm('co-1')).toThrow(ReservationNotActiveError);
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 10, reserved: 0 });
    });

    it('refuses a released reservation and an unknown checkout', () => {
      const { ledger } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);
      ledger.release('co-1');
      expect(() => ledger.confirm('co-1')).toThrow(ReservationNotActiveError);
      expect(() => ledger.confirm('co-unknown')).toThrow(ReservationNotFoundError);
    });
  });

  describe('release', () => {
    it('gives the stock back once, however often it is called', () => {
      const { ledger } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);
      expect(ledger.release('co-1')?.status).toBe('RELEASED');
      expect(ledger.release('co-1')?.status).toBe('RELEASED');
      expect(level(ledger, '1')).toEqual({ productId: '1', available: 10, reserved: 0 });
    });

    it('succeeds with nothing for an unknown checkout, and keeps EXPIRED as it is', () => {
      const { ledger, clock } = ledgerWith({ '1': 10 });
      expect(ledger.release('co-unknown')).toBeUndefined();
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);
      clock.now += TTL;
      expect(ledger.release('co-1')?.status).toBe('EXPIRED');
      expect(level(ledger, '1')?.available).toBe(10);
    });

    it('refuses to release stock that a confirm has sold', () => {
      const { ledger } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);
      ledger.confirm('co-1');
      expect(() => ledger.release('co-1')).toThrow(ReservationNotActiveError);
      expect(level(ledger, '1')?.available).toBe(6);
    });
  });

  describe('restock', () => {
    it('returns a confirmed order’s units once per checkout, however often asked', () => {
      const { ledger } = ledgerWith({ '1': 10, '2': 5 });
      const items = [
        { productId: '1', quantity: 3 },
        { productId: '2', quantity: 1 },
      ];
      ledger.reserve('co-r', items);
      ledger.confirm('co-r');
      expect(level(ledger, '1')).toMatchObject({ available: 7 });
      expect(ledger.restock('co-r', items)).toEqual({ restockedNow: true, requests: 1 });
      expect(ledger.restock('co-r', items)).toEqual({ restockedNow: false, requests: 2 });
      expect(level(ledger, '1')).toMatchObject({ available: 10, reserved: 0 });
      expect(level(ledger, '2')).toMatchObject({ available: 5 });
    });

    it('refuses what was never sold: unknown, unconfirmed, or more than the checkout bought', () => {
      const { ledger } = ledgerWith({ '1': 10 });
      const line = [{ productId: '1', quantity: 2 }];
      expect(() => ledger.restock('nobody', line)).toThrow(ReservationNotFoundError);
      ledger.reserve('co-a', line);
      expect(() => ledger.restock('co-a', line)).toThrow(ReservationNotActiveError);
      ledger.confirm('co-a');
      expect(() => ledger.restock('co-a', [{ productId: '1', quantity: 3 }])).toThrow(
        InvalidReservationRequestError,
      );
      expect(() => ledger.restock('co-a', [{ productId: '9', quantity: 1 }])).toThrow(
        InvalidReservationRequestError,
      );
      expect(level(ledger, '1')).toMatchObject({ available: 8 });
    });
  });

  describe('stock levels', () => {
    it('lists every stocked product in id order when asked for none in particular', () => {
      const { ledger } = ledgerWith({ '10': 1, '2': 2, '1': 3 });
      expect(ledger.getStock().map((l) => l.productId)).toEqual(['1', '2', '10']);
    });

    it('reads an unstocked product as 0 available', () => {
      const { ledger } = ledgerWith({});
      expect(ledger.getStock(['nope'])).toEqual([{ productId: 'nope', available: 0, reserved: 0 }]);
    });

    it('sets what is free to reserve without touching active reservations', () => {
      const { ledger } = ledgerWith({ '1': 10 });
      ledger.reserve('co-1', [{ productId: '1', quantity: 4 }]);
      expect(ledger.setAvailable('1', 2)).toEqual({ productId: '1', available: 2, reserved: 4 });
      ledger.release('co-1');
      expect(level(ledger, '1')?.available).toBe(6);
      expect(ledger.setAvailable('new', 5)).toEqual({
        productId: 'new',
        available: 5,
        reserved: 0,
      });
      expect(() => ledger.setAvailable('1', -1)).toThrow(InvalidReservationRequestError);
    });
  });
});
