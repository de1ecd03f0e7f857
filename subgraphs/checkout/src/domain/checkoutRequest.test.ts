import { GraphQLError } from 'graphql';
import { fingerprintOf, parseCheckoutInput } from './checkoutRequest';

const input = {
  idempotencyKey: '7f1c2a9e-2f43-4a4e-9a55-0b1c7d2e8f10',
  shippingAddress: {
    name: 'Ada Lovelace',
    line1: '12 Analytical Row',
    line2: null,
    city: 'London',
    postalCode: 'NW1 6XE',
    country: 'GB',
  },
  paymentMethod: 'card_ok',
};

function badInput(value: unknown): GraphQLError {
  try {
    parseCheckoutInput(value);
  } catch (err) {
    if (err instanceof GraphQLError) return err;
    throw err;
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('checkout input', () => {
  test('is trimmed and normalised', () => {
    const parsed = parseCheckoutInput({
      ...input,
      shippingAddress: { ...input.shippingAddress, city: '  London ', country: 'gb', line2: '' },
    });
    expect(parsed.shippingAddress).toMatchObject({ city: 'London', country: 'GB', line2: null });
  });

  test('names every problem at once, as BAD_USER_INPUT', () => {
    const err = badInput({
      ...input,
      idempotencyKey: '',
      paymentMethod: 'x',
      shippingAddress: { ...input.shippingAddress, name: ' ', country: 'Britain' },
    });
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.problems).toHaveLength(4);
    expect(err.message).toMatch(/idempotencyKey.*name.*country.*paymentMethod/);
  });

  test.each(['card_ok', 'card_declined', 'insufficient_funds', 'expired_card', 'tok_visa_4242'])(
    'accepts the payment token %s',
    (paymentMethod) => {
      expect(parseCheckoutInput({ ...input, paymentMethod }).paymentMethod).toBe(paymentMethod);
    },
  );
});

describe('request fingerprint', () => {
  const fp = (change: object = {}, address: object = {}) =>
    fingerprintOf(
      parseCheckoutInput({
        ...input,
        ...change,
        shippingAddress: { ...input.shippingAddress, ...address },
      }),
    );

  test('ignores the idempotency key and formatting that means the same address', () => {
    expect(fp({ idempotencyKey: 'another-key' })).toBe(fp());
    expect(fp({}, { city: ' London', country: 'gb', postalCode: 'nw1  6xe', line2: '' })).toBe(
      fp(),
    );
  });

  test('changes with the address or the payment method', () => {
    expect(fp({}, { line1: '13 Analytical Row' })).not.toBe(fp());
    expect(fp({}, { line2: 'Flat 2' })).not.toBe(fp());
    expect(fp({ paymentMethod: 'card_declined' })).not.toBe(fp());
  });
});
