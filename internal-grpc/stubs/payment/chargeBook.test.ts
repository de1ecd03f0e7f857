import {
  ChargeBook,
  ChargeMismatchError,
  InvalidChargeRequestError,
  type ChargeBookOptions,
  type ChargeRecord,
  type ChargeRequest,
} from './chargeBook';

/** A provider delay the test ends by hand, so "still in flight" is a state, not a race. */
function manualDelays() {
  const pending: Array<() => void> = [];
  return {
    wait: (_ms: number) => new Promise<void>((resolve) => pending.push(resolve)),
    finishAll: () => {
      for (const resolve of pending.splice(0)) resolve();
    },
    get waiting() {
      return pending.length;
    },
  };
}

function bookWith(options: Partial<ChargeBookOptions> = {}) {
  const settled: ChargeRecord[] = [];
  let ids = 0;
  const book = new ChargeBook({
    delayMs: { min: 0, max: 0 },
    successRate: 1,
    newPaymentId: () => `pay_${++ids}`,
    onSettled: (r) => settled.push(r),
    ...options,
  });
  return { book, settled };
}

function request(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    checkoutId: 'co-1',
    userId: 'user-1',
    amountCents: 132998,
    currencyCode: 'USD',
    paymentMethod: 'card_ok',
    ...overrides,
  };
}

describe('ChargeBook', () => {
  it('charges card_ok once and records the money taken', async () => {
    const { book } = bookWith();
    const { record, repeated } = await book.charge(request());
    expect(repeated).toBe(false);
    expect(record).toMatchObject({
      paymentId: 'pay_1',
      status: 'SUCCEEDED',
      declineCode: undefined,
      chargedCents: 132998,
      requests: 1,
    });
  });

  it.each(['card_declined', 'insufficient_funds', 'expired_card'] as const)(
    'declines %s with that code, whatever the success rate',
    async (token) => {
      const { book } = bookWith({ successRate: 1 });
      const { record } = await book.charge(request({ paymentMethod: token }));
      expect(record).toMatchObject({ status: 'DECLINED', declineCode: token, chargedCents: 0 });
    },
  );

  it('lets card_ok succeed even when the success rate is 0', async () => {
    const { book } = bookWith({ successRate: 0 });
    expect((await book.charge(request())).record.status).toBe('SUCCEEDED');
  });

  it('decides other tokens by the success rate, declining as processor_declined', async () => {
    const draws = [0.96, 0.5];
    const { book } = bookWith({ successRate: 0.95, random: () => draws.shift() ?? 0 });
    const declined = await book.charge(request({ checkoutId: 'a', paymentMethod: 'tok_visa' }));
    const charged = await book.charge(request({ checkoutId: 'b', paymentMethod: 'tok_visa' }));
    expect(declined.record).toMatchObject({
      status: 'DECLINED',
      declineCode: 'processor_declined',
    });
    expect(charged.record.status).toBe('SUCCEEDED');
  });

  it('answers a repeat with the first result, even a random decline, without charging again', async () => {
    const draws = [0.99];
    const { book, settled } = bookWith({ successRate: 0.5, random: () => draws.shift() ?? 0 });
    const first = await book.charge(request({ paymentMethod: 'tok_visa' }));
    const repeat = await book.charge(request({ paymentMethod: 'tok_visa' }));
    expect(repeat.repeated).toBe(true);
    expect(repeat.record).toEqual({ ...first.record, requests: 2 });
    expect(repeat.record.status).toBe('DECLINED');
    expect(settled).toHaveLength(1);
  });

  it('shares one charge among duplicates that arrive while the first is in its delay', async () => {
    const delays = manualDelays();
    const { book, settled } = bookWith({ delayMs: { min: 1000, max: 2000 }, wait: delays.wait });
    const calls = Array.from({ length: 20 }, () => book.charge(request()));
    await Promise.resolve();
    expect(delays.waiting).toBe(1);
    expect(book.inFlight).toBe(1);

    delays.finishAll();
    const results = await Promise.all(calls);
    expect(settled).toHaveLength(1);
    expect(results.filter((r) => !r.repeated)).toHaveLength(1);
    for (const { record } of results) {
      expect(record).toMatchObject({
        paymentId: 'pay_1',
        status: 'SUCCEEDED',
        chargedCents: 132998,
      });
    }
    expect((await book.get('co-1'))?.requests).toBe(20);
  });

  it('draws the delay from the configured range', async () => {
    const waited: number[] = [];
    const draws = [0, 0.5, 0.999];
    const { book } = bookWith({
      delayMs: { min: 1000, max: 2000 },
      random: () => draws.shift() ?? 0,
      wait: async (ms) => waited.push(ms),
    });
    for (const id of ['a', 'b', 'c']) await book.charge(request({ checkoutId: id }));
    expect(waited).toEqual([1000, 1500, 1999]);
  });

  it('refuses a repeat with a different amount, and charges nothing for it', async () => {
    const { book } = bookWith();
    await book.charge(request());
    await expect(book.charge(request({ amountCents: 1 }))).rejects.toThrow(ChargeMismatchError);
    await expect(book.charge(request({ paymentMethod: 'card_declined' }))).rejects.toThrow(
      ChargeMismatchError,
    );
    expect((await book.get('co-1'))?.chargedCents).toBe(132998);
  });

  it.each([
    ['an empty checkout id', { checkoutId: '' }],
    ['a zero amount', { amountCents: 0 }],
    ['a negative amount', { amountCents: -100 }],
    ['a lowercase currency', { currencyCode: 'usd' }],
    ['no payment method', { paymentMethod: '' }],
  ])('rejects %s before charging', async (_what, overrides) => {
    const { book, settled } = bookWith();
    await expect(book.charge(request(overrides))).rejects.toThrow(InvalidChargeRequestError);
    expect(settled).toHaveLength(0);
  });

  describe('refund', () => {
    it('returns a succeeded charge once; repeats change nothing', async () => {
      const { book } = bookWith();
      await book.charge(request());
      const first = await book.refund('co-1');
      const second = await book.refund('co-1');
      expect(first).toMatchObject({ refundedNow: true, record: { status: 'REFUNDED' } });
      expect(second).toMatchObject({ refundedNow: false, record: { status: 'REFUNDED' } });
    });

    it('leaves a declined charge DECLINED and answers undefined for an unknown checkout', async () => {
      const { book } = bookWith();
      await book.charge(request({ paymentMethod: 'expired_card' }));
      expect(await book.refund('co-1')).toMatchObject({
        refundedNow: false,
        record: { status: 'DECLINED' },
      });
      expect(await book.refund('never-charged')).toBeUndefined();
    });

    it('waits for a charge in flight, then refunds it', async () => {
      const delays = manualDelays();
      const { book } = bookWith({ delayMs: { min: 10, max: 10 }, wait: delays.wait });
      const charging = book.charge(request());
      const refunding = book.refund('co-1');
      delays.finishAll();
      expect((await charging).record.status).toBe('SUCCEEDED');
      expect((await refunding)?.record.status).toBe('REFUNDED');
    });

    it('is what a repeated Charge reports afterwards: the money is not taken again', async () => {
      const { book } = bookWith();
      await book.charge(request());
      await book.refund('co-1');
      const repeat = await book.charge(request());
      expect(repeat.record).toMatchObject({ status: 'REFUNDED', chargedCents: 132998 });
    });
  });

  it('reports an unknown checkout as undefined', async () => {
    const { book } = bookWith();
    expect(await book.get('nothing')).toBeUndefined();
  });
});
