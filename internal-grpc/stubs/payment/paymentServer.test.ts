import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '@shop/shared';
import { waitFor } from '@shop/shared/src/testing';
import { protos } from '../../src/protos';
import type { ChargeRequestInput } from '../../src/__generated__/shop/payment/v1/ChargeRequest';
import type { PaymentClient } from '../../src/__generated__/shop/payment/v1/Payment';
import { failure, unary } from '../runtime/testing';
import { loadPaymentConfig } from './config';
import { createPaymentServer } from './service';

const instant = {
  LOG_LEVEL: 'silent',
  GRPC_PORT: '0',
  PAYMENT_DELAY_MIN_MS: '0',
  PAYMENT_DELAY_MAX_MS: '0',
  PAYMENT_SUCCESS_RATE: '1',
};

async function startPayment(env: Record<string, string> = {}) {
  const server = await createPaymentServer(loadPaymentConfig({ ...instant, ...env }));
  const client = new (protos.payment().Payment)(
    server.address,
    grpc.credentials.createInsecure(),
  ) as PaymentClient;
  const api = {
    charge: (overrides: ChargeRequestInput) =>
      unary(client.charge.bind(client), {
        userId: 'user-1',
        amount: '1329.98',
        currencyCode: 'USD',
        paymentMethod: 'card_ok',
        ...overrides,
      }),
    refund: (checkoutId: string) => unary(client.refund.bind(client), { checkoutId }),
    getCharge: (checkoutId: string) => unary(client.getCharge.bind(client), { checkoutId }),
  };
  const close = async () => {
    client.close();
    await server.stop();
  };
  return { server, api, close };
}

type Started = Awaited<ReturnType<typeof startPayment>>;

describe('payment stub over gRPC', () => {
  let api: Started['api'];
  let close: Started['close'];
  beforeAll(async () => {
    ({ api, close } = await startPayment());
  });
  afterAll(() => close());

  it('charges card_ok and reports the money taken', async () => {
    const response = await api.charge({ checkoutId: 'ok-1' });
    expect(response).toEqual({
      paymentId: expect.stringMatching(/^pay_/),
      status: 'SUCCEEDED',
      declineCode: '',
      declineMessage: '',
      amount: '1329.98',
      currencyCode: 'USD',
      chargedAmount: '1329.98',
      chargeRequests: 1,
      refundedAmount: '0.00',
      refundRequests: 0,
    });
  });

  it.each([
    ['card_declined', /declined/],
    ['insufficient_funds', /insufficient funds/],
    ['expired_card', /expired/],
  ])('declines %s as an answer, not an error, taking nothing', async (token, message) => {
    const response = await api.charge({ checkoutId: `declined-${token}`, paymentMethod: token });
    expect(response).toMatchObject({
      status: 'DECLINED',
      declineCode: token,
      declineMessage: expect.stringMatching(message),
      chargedAmount: '0.00',
    });
  });

  it('answers a sequential repeat with the first charge and never charges twice', async () => {
    const first = await api.charge({ checkoutId: 'repeat-1' });
    const second = await api.charge({ checkoutId: 'repeat-1' });
    const third = await api.charge({ checkoutId: 'repeat-1' });
    expect(third).toEqual({ ...first, chargeRequests: 3 });
    expect(second.paymentId).toBe(first.paymentId);
    expect(third.chargedAmount).toBe('1329.98');
  });

  it('reports a charge with GetCharge, and NOT_FOUND for a checkout never charged', async () => {
    const charged = await api.charge({ checkoutId: 'get-1', amount: '10.5' });
    expect(await api.getCharge('get-1')).toEqual(charged);
    expect(charged.amount).toBe('10.50');
    expect((await failure(api.getCharge('never-charged'))).code).toBe(grpc.status.NOT_FOUND);
  });

  it('refunds once, however often asked, and a no-op for a checkout never charged', async () => {
    const charged = await api.charge({ checkoutId: 'refund-1' });
    const refunds = await Promise.all([1, 2, 3].map(() => api.refund('refund-1')));
    for (const refund of refunds) {
      expect(refund).toMatchObject({
        paymentId: charged.paymentId,
        status: 'REFUNDED',
        refundedAmount: '1329.98',
      });
    }
    expect(await api.getCharge('refund-1')).toMatchObject({
      status: 'REFUNDED',
      chargedAmount: '1329.98',
      refundedAmount: '1329.98',
      refundRequests: 3,
    });
    expect(await api.refund('never-charged')).toEqual({
      paymentId: '',
      status: 'CHARGE_STATUS_UNSPECIFIED',
      refundRequests: 0,
      refundedAmount: '0.00',
    });
    const declined = await api.charge({ checkoutId: 'refund-2', paymentMethod: 'card_declined' });
    expect(await api.refund('refund-2')).toMatchObject({
      paymentId: declined.paymentId,
      status: 'DECLINED',
      refundedAmount: '0.00',
    });
  });

  it('refuses the refund of card_refund_refused with a reason a person can act on, every time', async () => {
    await api.charge({ checkoutId: 'refused-1', paymentMethod: 'card_refund_refused' });
    for (let i = 0; i < 2; i++) {
      const err = await failure(api.refund('refused-1'));
      expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(err.details).toMatch(/card account is closed.*bank transfer/);
    }
    expect(await api.getCharge('refused-1')).toMatchObject({
      status: 'SUCCEEDED',
      refundedAmount: '0.00',
      refundRequests: 2,
    });
  });

  it('rejects malformed requests and a repeat that differs from the first', async () => {
    const codeOf = async (request: ChargeRequestInput) => (await failure(api.charge(request))).code;
    expect(await codeOf({ checkoutId: 'bad-1', amount: '12.345' })).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect(await codeOf({ checkoutId: 'bad-2', amount: '0' })).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await codeOf({ checkoutId: 'bad-3', currencyCode: 'dollars' })).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect(await codeOf({ checkoutId: '' })).toBe(grpc.status.INVALID_ARGUMENT);
    await api.charge({ checkoutId: 'differs-1' });
    expect(await codeOf({ checkoutId: 'differs-1', amount: '1.00' })).toBe(
      grpc.status.ALREADY_EXISTS,
    );
    expect((await api.getCharge('differs-1')).chargedAmount).toBe('1329.98');
  });

  it('charges in the default currency when none is given', async () => {
    expect(await api.charge({ checkoutId: 'currency-1', currencyCode: '' })).toMatchObject({
      currencyCode: 'USD',
    });
  });
});

describe('payment stub with a provider delay', () => {
  it('20 concurrent duplicates of one checkout share the charge in flight: charged once', async () => {
    const { server, api, close } = await startPayment({
      PAYMENT_DELAY_MIN_MS: '300',
      PAYMENT_DELAY_MAX_MS: '300',
      HTTP_PORT: '0',
    });
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => api.charge({ checkoutId: 'dup-1' })),
      );
      const paymentIds = new Set(responses.map((r) => r.paymentId));
      expect(paymentIds.size).toBe(1);
      for (const response of responses) {
        expect(response).toMatchObject({ status: 'SUCCEEDED', chargedAmount: '1329.98' });
      }
      expect(await api.getCharge('dup-1')).toMatchObject({ chargeRequests: 20 });

      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      expect(metrics).toContain('payment_charge_calls_total{kind="first"} 1');
      expect(metrics).toContain('payment_charge_calls_total{kind="repeat"} 19');
      expect(metrics).toContain('payment_charged_cents_total 132998');
    } finally {
      await close();
    }
  });

  it('GetCharge during the delay waits for the outcome instead of answering NOT_FOUND', async () => {
    const { server, api, close } = await startPayment({
      PAYMENT_DELAY_MIN_MS: '1000',
      PAYMENT_DELAY_MAX_MS: '1000',
    });
    try {
      const charging = api.charge({ checkoutId: 'slow-1' });
      await waitFor(() => server.book.inFlight === 1, {
        intervalMs: 5,
        what: 'the charge to start',
      });
      const seen = await api.getCharge('slow-1');
      expect(seen).toMatchObject({ status: 'SUCCEEDED', chargedAmount: '1329.98' });
      expect(seen).toEqual(await charging);
    } finally {
      await close();
    }
  });
});

describe('payment success rate', () => {
  it('declines every other token as processor_declined at rate 0, but card_ok still succeeds', async () => {
    const { api, close } = await startPayment({ PAYMENT_SUCCESS_RATE: '0' });
    try {
      expect(await api.charge({ checkoutId: 'r0-1', paymentMethod: 'tok_visa' })).toMatchObject({
        status: 'DECLINED',
        declineCode: 'processor_declined',
      });
      expect(await api.charge({ checkoutId: 'r0-2' })).toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await close();
    }
  });

  it('charges every other token at rate 1', async () => {
    const { api, close } = await startPayment({ PAYMENT_SUCCESS_RATE: '1' });
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api.charge({ checkoutId: `r1-${i}`, paymentMethod: 'tok_visa' }),
        ),
      );
      expect(responses.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    } finally {
      await close();
    }
  });
});

describe('payment configuration', () => {
  it('defaults to a 1-2 s delay and 95% success', () => {
    const config = loadPaymentConfig({});
    expect(config).toEqual({
      host: '127.0.0.1',
      grpcPort: 50054,
      httpPort: undefined,
      logLevel: 'info',
      delayMs: { min: 1000, max: 2000 },
      successRate: 0.95,
    });
    expect(loadPaymentConfig({ PAYMENT_SUCCESS_RATE: '' }).successRate).toBe(0.95);
  });

  it('maps every variable onto its camelCase setting', () => {
    expect(
      loadPaymentConfig({
        GRPC_HOST: '0.0.0.0',
        GRPC_PORT: '0',
        HTTP_PORT: '9464',
        LOG_LEVEL: 'warn',
        PAYMENT_DELAY_MIN_MS: '5',
        PAYMENT_DELAY_MAX_MS: '7',
        PAYMENT_SUCCESS_RATE: '0.5',
      }),
    ).toEqual({
      host: '0.0.0.0',
      grpcPort: 0,
      httpPort: 9464,
      logLevel: 'warn',
      delayMs: { min: 5, max: 7 },
      successRate: 0.5,
    });
  });

  it.each([
    ['PAYMENT_SUCCESS_RATE', { PAYMENT_SUCCESS_RATE: '2' }],
    ['PAYMENT_SUCCESS_RATE', { PAYMENT_SUCCESS_RATE: '-0.1' }],
    ['PAYMENT_SUCCESS_RATE', { PAYMENT_SUCCESS_RATE: 'most' }],
    ['PAYMENT_DELAY_MIN_MS', { PAYMENT_DELAY_MIN_MS: '-1' }],
    ['PAYMENT_DELAY_MAX_MS', { PAYMENT_DELAY_MIN_MS: '500', PAYMENT_DELAY_MAX_MS: '100' }],
    ['GRPC_PORT', { GRPC_PORT: 'fifty' }],
  ])('refuses a bad %s with an error naming it', (name, env) => {
    let error: unknown;
    try {
      loadPaymentConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(new RegExp(`^${name}: `)),
    ]);
  });
});
