import { Counter, Histogram } from 'prom-client';

/** What /metrics shows about checkouts: outcomes by failure code and step, and durations. */
export const sagaMetrics = {
  completed: new Counter({
    name: 'checkout_completed_total',
    help: 'Checkouts that reached COMPLETED',
  }),
  failed: new Counter({
    name: 'checkout_failed_total',
    help: 'Checkouts that ended FAILED, by failure code and the step they failed at',
    labelNames: ['code', 'step'],
  }),
  compensated: new Counter({
    name: 'checkout_compensations_total',
    help: 'Failed checkouts whose compensation (release, refund) finished',
  }),
  recovered: new Counter({
    name: 'checkout_recovered_total',
    help: 'Sessions taken over by recovery after their lease ran out, by the state found',
    labelNames: ['status'],
  }),
  duration: new Histogram({
    name: 'checkout_duration_seconds',
    help: 'Time of a checkout mutation that started a saga, by the final status it returned',
    labelNames: ['status'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }),
};
