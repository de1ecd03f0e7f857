import { Counter, Gauge, Registry } from 'prom-client';

/** Counters for dashboards and benchmarks; one registry per stub instance (see httpEndpoints). */
export function createInventoryMetrics(activeReservations: () => number) {
  const registry = new Registry();
  return {
    registry,
    reserveCalls: new Counter({
      name: 'inventory_reserve_calls_total',
      help: 'Reserve calls by outcome: reserved, repeat (idempotent replay), insufficient_stock, rejected',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    transitions: new Counter({
      name: 'inventory_reservation_transitions_total',
      help: 'Reservations leaving ACTIVE, by the status they reached',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    active: new Gauge({
      name: 'inventory_active_reservations',
      help: 'Reservations currently holding stock',
      registers: [registry],
      collect() {
        this.set(activeReservations());
      },
    }),
  };
}

export type InventoryMetrics = ReturnType<typeof createInventoryMetrics>;
