import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '@shop/shared';
import { waitFor } from '@shop/shared/src/testing';
import { protos } from '../../src/protos';
import type { InventoryClient } from '../../src/__generated__/shop/inventory/v1/Inventory';
import type { ReserveItemInput } from '../../src/__generated__/shop/inventory/v1/ReserveItem';
import { failure, unary } from '../runtime/testing';
import { loadInventoryConfig } from './config';
import { readInsufficientStock } from '../../contracts/inventory/insufficientStock';
import { createInventoryServer, type InventoryServer } from './service';

const silent = { LOG_LEVEL: 'silent', GRPC_PORT: '0' };

async function startInventory(env: Record<string, string>, now?: () => number) {
  const server = await createInventoryServer(loadInventoryConfig({ ...silent, ...env }), { now });
  const client = new (protos.inventory().Inventory)(
    server.address,
    grpc.credentials.createInsecure(),
  ) as InventoryClient;
  const api = {
    getStock: (productIds: string[]) =>
      unary(client.getStock.bind(client), { productIds }).then((r) => r.levels),
    reserve: (checkoutId: string, items: ReserveItemInput[]) =>
      unary(client.reserve.bind(client), { checkoutId, items }),
    confirm: (checkoutId: string) => unary(client.confirm.bind(client), { checkoutId }),
    release: (checkoutId: string) => unary(client.release.bind(client), { checkoutId }),
    setStock: (productId: string, available: number) =>
      unary(client.setStock.bind(client), { productId, available }),
  };
  return { server, client, api };
}

describe('inventory stub over gRPC', () => {
  let server: InventoryServer;
  let client: InventoryClient;
  let api: Awaited<ReturnType<typeof startInventory>>['api'];

  beforeAll(async () => {
    ({ server, client, api } = await startInventory({ INVENTORY_SEED: '1-3=100' }));
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  it('50 concurrent reserves for 10 units: exactly 10 succeed and available never goes negative', async () => {
    await api.setStock('race', 10);
    const seen: number[] = [];
    let racing = true;
    const watcher = (async () => {
      while (racing) {
        const [level] = await api.getStock(['race']);
        seen.push(level?.available ?? Number.NaN);
      }
    })();

    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        api.reserve(`race-${i}`, [{ productId: 'race', quantity: 1 }]),
      ),
    );
    racing = false;
    await watcher;

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(won).toHaveLength(10);
    expect(lost).toHaveLength(40);
    for (const error of lost) {
      expect((error as grpc.ServiceError).code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(readInsufficientStock(error)).toEqual([
        { productId: 'race', requested: 1, available: 0 },
      ]);
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((available) => available >= 0)).toBe(true);
    expect(await api.getStock(['race'])).toEqual([
      { productId: 'race', available: 0, reserved: 10 },
    ]);
  });

  it('never oversells when concurrent reserves take several units each', async () => {
    await api.setStock('race-3', 10);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        api.reserve(`race3-${i}`, [{ productId: 'race-3', quantity: 3 }]),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    expect(await api.getStock(['race-3'])).toEqual([
      { productId: 'race-3', available: 1, reserved: 9 },
    ]);
  });

  it('answers a repeated Reserve with the same reservation and holds the stock once', async () => {
    const items = [{ productId: '1', quantity: 2 }];
    const [before] = await api.getStock(['1']);
    const first = await api.reserve('repeat-1', items);
    const repeats = await Promise.all([1, 2, 3].map(() => api.reserve('repeat-1', items)));
    expect(first).toMatchObject({
      status: 'ACTIVE',
      reservationId: expect.stringMatching(/^res_/),
    });
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(Date.now());
    for (const repeat of repeats) expect(repeat).toEqual(first);
    const [after] = await api.getStock(['1']);
    expect(after?.reserved).toBe((before?.reserved ?? 0) + 2);
  });

  it('fails an oversized basket with FAILED_PRECONDITION naming the short products, reserving nothing', async () => {
    await api.setStock('few', 1);
    const error = await failure(
      api.reserve('short-1', [
        { productId: '2', quantity: 1 },
        { productId: 'few', quantity: 2 },
        { productId: 'not-stocked', quantity: 1 },
      ]),
    );
    expect(error.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(error.details).toMatch(/product few has 1 available, 2 requested/);
    expect(readInsufficientStock(error)).toEqual([
      { productId: 'few', requested: 2, available: 1 },
      { productId: 'not-stocked', requested: 1, available: 0 },
    ]);
    expect(await api.getStock(['2', 'few'])).toEqual([
      { productId: '2', available: 100, reserved: 0 },
      { productId: 'few', available: 1, reserved: 0 },
    ]);
  });

  it('confirms for good and releases idempotently', async () => {
    await api.setStock('cr', 5);
    await api.reserve('confirm-1', [{ productId: 'cr', quantity: 2 }]);
    await api.reserve('release-1', [{ productId: 'cr', quantity: 3 }]);

    const confirmed = await api.confirm('confirm-1');
    expect(await api.confirm('confirm-1')).toEqual(confirmed);
    expect(confirmed.status).toBe('CONFIRMED');

    const released = await api.release('release-1');
    expect(released.status).toBe('RELEASED');
    expect(await api.release('release-1')).toEqual(released);

    expect(await api.getStock(['cr'])).toEqual([{ productId: 'cr', available: 3, reserved: 0 }]);
  });

  it('answers each misuse with its own status', async () => {
    await api.reserve('misuse-1', [{ productId: '3', quantity: 1 }]);
    await api.confirm('misuse-1');

    expect((await failure(api.confirm('never-reserved'))).code).toBe(grpc.status.NOT_FOUND);
    expect(await api.release('never-reserved')).toEqual({
      reservationId: '',
      status: 'RESERVATION_STATUS_UNSPECIFIED',
    });
    expect((await failure(api.release('misuse-1'))).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect((await failure(api.reserve('misuse-1', [{ productId: '3', quantity: 5 }]))).code).toBe(
      grpc.status.ALREADY_EXISTS,
    );
    expect((await failure(api.reserve('', [{ productId: '3', quantity: 1 }]))).code).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect((await failure(api.reserve('zero', [{ productId: '3', quantity: 0 }]))).code).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect((await failure(api.setStock('3', -1))).code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('lists every stocked product when GetStock names none', async () => {
    const ids = (await api.getStock([])).map((l) => l.productId);
    expect(ids.slice(0, 3)).toEqual(['1', '2', '3']);
    expect(ids).toContain('race');
  });
});

describe('inventory reservation TTL', () => {
  it('gives the stock back after the TTL and then refuses to confirm', async () => {
    const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
    const { server, client, api } = await startInventory(
      { INVENTORY_SEED: '7=5', RESERVATION_TTL_MS: '60000' },
      () => clock.now,
    );
    try {
      const reservation = await api.reserve('ttl-1', [{ productId: '7', quantity: 5 }]);
      expect(reservation.expiresAt).toBe('2030-01-01T00:01:00.000Z');
      expect((await failure(api.reserve('ttl-2', [{ productId: '7', quantity: 1 }]))).code).toBe(
        grpc.status.FAILED_PRECONDITION,
      );

      clock.now += 60_000;
      expect(await api.getStock(['7'])).toEqual([{ productId: '7', available: 5, reserved: 0 }]);
      const late = await failure(api.confirm('ttl-1'));
      expect(late.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(late.details).toMatch(/EXPIRED/);
      expect(await api.release('ttl-1')).toMatchObject({ status: 'EXPIRED' });
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('sweeps expired reservations on a timer, without any call touching them', async () => {
    const { server, client, api } = await startInventory({
      INVENTORY_SEED: '8=5',
      RESERVATION_TTL_MS: '200',
      RESERVATION_SWEEP_INTERVAL_MS: '20',
    });
    try {
      await api.reserve('sweep-1', [{ productId: '8', quantity: 5 }]);
      expect(server.ledger.activeCount).toBe(1);
      // activeCount reads the ledger without expiring anything, so only the sweep can zero it.
      await waitFor(() => server.ledger.activeCount === 0, { what: 'the sweep to expire it' });
      expect(await api.getStock(['8'])).toEqual([{ productId: '8', available: 5, reserved: 0 }]);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe('inventory health and metrics', () => {
  it('counts reservations on /metrics and reports ready when HTTP_PORT is set', async () => {
    const { server, client, api } = await startInventory({ INVENTORY_SEED: '1=5', HTTP_PORT: '0' });
    try {
      await api.reserve('metrics-1', [{ productId: '1', quantity: 1 }]);
      await failure(api.reserve('metrics-2', [{ productId: '1', quantity: 9 }]));
      expect(server.httpUrl).toBeDefined();
      const ready = await fetch(`${server.httpUrl}/health/ready`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      expect(metrics).toContain('inventory_reserve_calls_total{outcome="reserved"} 1');
      expect(metrics).toContain('inventory_reserve_calls_total{outcome="insufficient_stock"} 1');
      expect(metrics).toContain('inventory_active_reservations 1');
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe('inventory configuration', () => {
  it('maps every variable onto its camelCase setting', () => {
    expect(
      loadInventoryConfig({
        GRPC_HOST: '0.0.0.0',
        GRPC_PORT: '0',
        HTTP_PORT: '',
        LOG_LEVEL: 'debug',
        RESERVATION_TTL_MS: '60000',
        RESERVATION_SWEEP_INTERVAL_MS: '250',
        INVENTORY_SEED: '1-2=5',
      }),
    ).toEqual({
      host: '0.0.0.0',
      grpcPort: 0,
      httpPort: undefined,
      logLevel: 'debug',
      seed: new Map([
        ['1', 5],
        ['2', 5],
      ]),
      reservationTtlMs: 60_000,
      reservationSweepIntervalMs: 250,
    });
    expect(loadInventoryConfig({})).toMatchObject({ grpcPort: 50053, reservationTtlMs: 300_000 });
  });

  it.each([
    ['RESERVATION_TTL_MS', '0'],
    ['RESERVATION_TTL_MS', 'five minutes'],
    ['GRPC_PORT', '70000'],
    ['RESERVATION_SWEEP_INTERVAL_MS', '-1'],
    ['HTTP_PORT', 'http'],
  ])('refuses %s=%s with an error naming it', (name, value) => {
    expect(() => loadInventoryConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadInventoryConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });
});
