import { Counter, Gauge, Registry } from 'prom-client';

/** Counters for dashboards and benchmarks; one registry per stub instance (see httpEndpoints). */
export function createPaymentMetrics(inFlight: () => number) {
  const registry = new Registry();
  return {
    registry,
    chargeCalls: new Counter({
      name: 'payment_charge_calls_total',
      help: 'Charge calls: first (starts a charge), repeat (answered from the first), rejected',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    outcomes: new Counter({
      name: 'payment_charges_total',
      help: 'Charges with an outcome, by status and decline code',
      labelNames: ['status', 'decline_code'] as const,
      registers: [registry],
    }),
    chargedCents: new Counter({
      name: 'payment_charged_cents_total',
      help: 'Money taken, in minor units of any currency; a double charge would show here',
      registers: [registry],
    }),
    refunds: new Counter({
      name: 'payment_refunds_total',
      help: 'Charges refunded (each at most once)',
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'payment_charges_in_flight',
      help: 'Charge calls waiting for the simulated provider',
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    }),
  };
}

export type PaymentMetrics = ReturnType<typeof createPaymentMetrics>;
