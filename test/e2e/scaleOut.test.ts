/**
 * Scale-out on one host (docs/scale-out.md): two instances of every subgraph and of the gateway
 * run at once as real processes, sharing the databases, the partitioned topics, the consumer
 * groups and Redis; every gateway reaches each subgraph through a round-robin balancer, as a
 * Kubernetes Service would. The inventory and payment stubs keep state in memory and run once,
 * as in the Helm chart. What must hold: a checkout completes once however many gateways and
 * checkout instances see it; consumer groups split the partitions and survive losing a
 * member; a subscriber on either gateway hears a change made through the other exactly once;
 * the rate-limit budget is one budget; and a crashed instance's sessions are recovered once, by
 * one of the survivors.
 */
import { AssignerProtocol, type Admin, type Kafka } from 'kafkajs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Client as PgClient } from 'pg';
import pino from 'pino';
import { connectClient, protos, type ChargeResponse } from '@shop/internal-grpc';
import { unary } from '@shop/internal-grpc/stubs/runtime/testing';
import { createKafka, parseCents } from '@shop/shared';
import { graphqlRequest, infra, testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import { startPlatform, type Platform, type ServiceName } from './platform';

jest.setTimeout(120_000);

/** Checkout calls one user may make per window, on every gateway together. */
const CHECKOUT_BUDGET = 3;

/** How long a subscriber keeps listening after the last change: a duplicate would be here by then. */
const SETTLE_MS = 2000;

const address = {
  name: 'Scale Tester',
  line1: '2 Replica Row',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

const CHECKOUT = `mutation($input: CheckoutInput!) {
  checkout(input: $input) { id status total { amount } } }`;
interface CheckedOut {
  checkout: { id: string; status: string; total: { amount: string } };
}

let kafka: Kafka;
let admin: Admin;
let platform: Platform;
let checkoutDb: PgClient;
let ordersDb: PgClient;
let payment: InstanceType<ReturnType<typeof protos.payment>['Payment']>;
let inventory: InstanceType<ReturnType<typeof protos.inventory>['Inventory']>;
let staffToken: string;
const sockets: Client[] = [];
/** Every session that completed, with its total, to check charges and orders against. */
const completed = new Map<string, string>();
let firstBuyer: { token: string; checkoutId: string };

// Starting eleven processes takes 75-80 s on the shared 2-core machine, over 300 s under load.
beforeAll(async () => {
  const started = Date.now();
  kafka = createKafka({
    clientId: 'e2e-scale',
    brokers: infra.kafkaBrokers,
    logger: pino({ level: 'silent' }),
  });
  platform = await startPlatform(kafka, {
    instances: 2,
    env: {
      // Both recovery loops poll often, so they really compete for a crashed instance's sessions.
      checkout: { RECOVERY_INTERVAL_MS: '300' },
      gateway: {
        CHECKOUT_RATE_LIMIT_POINTS: String(CHECKOUT_BUDGET),
        CHECKOUT_RATE_LIMIT_WINDOW_SECONDS: '120',
        RATE_LIMIT_PREFIX: uniqueName('e2e-scale-rl'),
      },
    },
  });
  admin = kafka.admin();
  await admin.connect();
  checkoutDb = new PgClient({ connectionString: platform.checkoutDatabaseUrl });
  ordersDb = new PgClient({ connectionString: platform.ordersDatabaseUrl });
  await Promise.all([checkoutDb.connect(), ordersDb.connect()]);
  payment = connectClient(protos.payment().Payment, platform.grpc.payment);
  inventory = connectClient(protos.inventory().Inventory, platform.grpc.inventory);
  staffToken = await testToken(uniqueName('staff'), { scope: 'admin' });
  console.log(`platform with two instances of everything up in ${Date.now() - started} ms`);
}, 600_000);

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose()));
  payment?.close();
  inventory?.close();
  await Promise.all([checkoutDb?.end(), ordersDb?.end(), admin?.disconnect()]);
  await platform?.stop();
});

const gateways = () => platform.gatewayUrls;

async function ok<T>(url: string, query: string, variables: object, token?: string): Promise<T> {
  const res = await graphqlRequest<T>(url, query, variables as Record<string, unknown>, token);
  if (res.errors) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

/** `err` with the last log lines of both instances of `services`, for a failure to explain itself. */
function withLogs(err: Error, services: ServiceName[], context = ''): Error {
  const tails = services.flatMap((name) =>
    [0, 1].map((i) => {
      const lines = platform.logOf(name, i).trim().split('\n').slice(-15).join('\n');
      return `--- ${name} #${i} ---\n${lines}`;
    }),
  );
  return new Error([err.message, context, ...tails].filter(Boolean).join('\n'));
}

/** A new shopper with `quantity` of `productId` in the cart, added through `gatewayUrl`. */
async function shopper(gatewayUrl: string, productId: string, quantity = 1) {
  const user = uniqueName('scale-buyer');
  const token = await testToken(user);
  await ok(
    gatewayUrl,
    'mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { totalQuantity } }',
    { p: productId, q: quantity },
    token,
  );
  return { user, token };
}

const checkoutVia = (url: string, token: string, key: string) =>
  ok<CheckedOut>(
    url,
    CHECKOUT,
    { input: { idempotencyKey: key, shippingAddress: address, paymentMethod: 'card_ok' } },
    token,
  ).then((d) => d.checkout);

const charge = (checkoutId: string) =>
  unary<{ checkoutId: string }, ChargeResponse>(payment.getCharge.bind(payment), { checkoutId });

async function stock(productIds: string[]) {
  const { levels } = await unary(inventory.getStock.bind(inventory), { productIds });
  return new Map(
    levels.map((l) => [l.productId, { available: l.available, reserved: l.reserved }]),
  );
}

/** Orders per checkout id, once every one of `ids` has at least one. */
async function ordersFor(ids: string[], timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const { rows } = await ordersDb.query<{ checkout_id: string; n: number }>(
        'SELECT checkout_id, count(*)::int AS n FROM orders WHERE checkout_id = ANY($1::uuid[]) GROUP BY checkout_id',
        [ids],
      );
      return rows.length === ids.length
        ? new Map(rows.map((r) => [r.checkout_id, r.n]))
        : undefined;
    },
    { what: `an order for each of ${ids.length} checkouts`, timeoutMs },
  );
}

/** The partitions of the checkout-events topic each member of `groupId` holds, once it is stable. */
async function assignments(groupId: string): Promise<number[][] | undefined> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  if (group?.state !== 'Stable') return undefined;
  return group.members.map((m) =>
    [
      ...(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[
        platform.topics.checkoutEvents
      ] ?? []),
    ].sort(),
  );
}

/** Waits until `groupId` has `members` members that hold all three partitions between them, each some. */
function splitAmong(groupId: string, members: number) {
  return waitFor(
    async () => {
      const parts = await assignments(groupId);
      if (parts?.length !== members || parts.some((p) => p.length === 0)) return undefined;
      return parts.flat().sort().join() === '0,1,2' ? parts : undefined;
    },
    { what: `${groupId} split among ${members} member(s)`, timeoutMs: 60_000, intervalMs: 250 },
  ).catch((err: Error) => {
    // The instances' own words on why they did not join (the log files go with the platform).
    const service = groupId === platform.consumerGroups.cart ? 'cart' : 'orders';
    const tails = [0, 1].map((i) => {
      const lines = platform.logOf(service, i).trim().split('\n').slice(-25).join('\n');
      return `--- ${service} #${i} log ---\n${lines}`;
    });
    throw new Error(`${err.message}\n${tails.join('\n')}`);
  });
}

test('both consumer groups split the three partitions between their two instances', async () => {
  const [orders, cart] = await Promise.all([
    splitAmong(platform.consumerGroups.orders, 2),
    splitAmong(platform.consumerGroups.cart, 2),
  ]);
  console.log('partitions per member', { orders, cart });
  expect(orders).toHaveLength(2);
  expect(cart).toHaveLength(2);
});

test('checkouts through both gateways, the same key through both at once, each complete once and become one order', async () => {
  const [a, b] = gateways() as [string, string];
  const buyers = await Promise.all(
    Array.from({ length: 6 }, (_, i) => shopper(i % 2 ? b : a, String(1 + (i % 5)))),
  );
  const results = await Promise.all(
    buyers.map(async ({ token }, i) => {
      const key = uniqueName('scale-key');
      // Even buyers press the button twice, once at each gateway: a double-click, two tabs.
      if (i % 2 === 0) return Promise.all([checkoutVia(a, token, key), checkoutVia(b, token, key)]);
      return [await checkoutVia(i % 4 === 1 ? a : b, token, key)];
    }),
  );
  for (const answers of results) {
    expect(answers.every((s) => s.status === 'COMPLETED')).toBe(true);
    expect(new Set(answers.map((s) => s.id)).size).toBe(1); // the same session both times
    completed.set(answers[0]!.id, answers[0]!.total.amount);
  }
  firstBuyer = { token: buyers[0]!.token, checkoutId: results[0]![0]!.id };

  // One session per shopper, one charge per session, one order per session.
  const { rows } = await checkoutDb.query<{ user_id: string; n: number }>(
    'SELECT user_id, count(*)::int AS n FROM checkout_sessions WHERE user_id = ANY($1) GROUP BY user_id',
    [buyers.map((x) => x.user)],
  );
  expect(rows.map((r) => r.n)).toEqual(buyers.map(() => 1));
  for (const [id, total] of completed) {
    const c = await charge(id);
    expect(c).toMatchObject({ status: 'SUCCEEDED', chargeRequests: 1 });
    expect(parseCents(c.chargedAmount)).toBe(parseCents(total));
  }
  const orders = await ordersFor([...completed.keys()]);
  expect([...orders.values()]).toEqual([...completed.keys()].map(() => 1));
  // Both checkout instances took part (the balancer alternates per request).
  expect(platform.served('checkout').every((n) => n > 0)).toBe(true);
});

test('an orders instance killed mid-stream: its partitions move to the survivor and every checkout still becomes one order', async () => {
  const buyers = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      shopper(gateways()[i % 2] as string, String(6 + (i % 10))),
    ),
  );
  const done: string[] = [];
  const lane = async (first: number) => {
    for (let i = first; i < buyers.length; i += 2) {
      const session = await checkoutVia(
        gateways()[i % 2] as string,
        buyers[i]!.token,
        uniqueName('k'),
      );
      expect(session.status).toBe('COMPLETED');
      done.push(session.id);
      completed.set(session.id, session.total.amount);
    }
  };
  const stream = Promise.all([lane(0), lane(1)]);
  await waitFor(() => done.length >= 5, { what: 'the first checkouts', timeoutMs: 60_000 });
  await platform.kill('orders', 'SIGKILL', 1);
  await stream;

  const alone = await splitAmong(platform.consumerGroups.orders, 1);
  expect(alone).toEqual([[0, 1, 2]]);
  const orders = await ordersFor(done, 90_000);
  expect([...orders.values()]).toEqual(done.map(() => 1));

  // Back again: the group splits the partitions once more.
  await platform.start('orders', {}, 1);
  await splitAmong(platform.consumerGroups.orders, 2);
});

test('a subscriber on one gateway hears, exactly once, a change made through the other', async () => {
  const [a, b] = gateways() as [string, string];
  const orderId = (
    await waitFor(
      async () => {
        const { rows } = await ordersDb.query<{ id: string }>(
          'SELECT id FROM orders WHERE checkout_id = $1',
          [firstBuyer.checkoutId],
        );
        return rows[0]?.id;
      },
      { what: 'the first order' },
    )
  ).toString();

  // The version the subscribers start from. Without sinceVersion a subscription starts at the
  // version its first read finds, and a change that commits while that read runs becomes its
  // starting point, never a message: a client that must hear every change passes the version
  // it has, as this one does (README, "Following an order live").
  const { order } = await ok<{ order: { version: number } }>(
    a,
    'query($id: ID!) { order(id: $id) { version } }',
    { id: orderId },
    firstBuyer.token,
  );
  const heard = new Map<string, string[]>([
    [a, []],
    [b, []],
  ]);
  for (const url of [a, b]) {
    const client = createClient({
      url: url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${firstBuyer.token}` },
      retryAttempts: 0,
    });
    sockets.push(client);
    client.subscribe(
      {
        query:
          'subscription($id: ID!, $v: Int) { orderStatusChanged(orderId: $id, sinceVersion: $v) { id status } }',
        variables: { id: orderId, v: order.version },
      },
      {
        next: (m) => {
          const status = (m.data as { orderStatusChanged?: { status: string } } | null)
            ?.orderStatusChanged?.status;
          heard.get(url)?.push(status ?? JSON.stringify(m));
        },
        error: (err) => void heard.get(url)?.push(`error: ${JSON.stringify(err)}`),
        complete: () => undefined,
      },
    );
    // Each gateway counts its own subscriptions: one on each, so each subscriber has its own.
    await waitFor(
      async () =>
        /^gateway_order_subscriptions 1$/m.test(
          await (await fetch(new URL('/metrics', url))).text(),
        ),
      {
        what: `the subscription on ${url} to listen`,
        timeoutMs: 30_000,
      },
    );
  }

  const move = (url: string, status: string) =>
    ok(
      url,
      'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }',
      { id: orderId, s: status },
      staffToken,
    );
  const bothHeard = (status: string) =>
    waitFor(() => [...heard.values()].every((h) => h.includes(status)), {
      what: `both subscribers to hear ${status}`,
      timeoutMs: 30_000,
    }).catch((err: Error) => {
      throw withLogs(err, ['gateway', 'orders'], `heard: ${JSON.stringify([...heard])}`);
    });

  await move(b, 'PROCESSING');
  await bothHeard('PROCESSING');
  await move(a, 'SHIPPED');
  await bothHeard('SHIPPED');
  // A last change is the marker: once it is heard, a duplicate of the earlier ones would have
  // been too; the settle window gives a duplicate of the marker itself time to arrive.
  await move(b, 'DELIVERED');
  await bothHeard('DELIVERED');
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  for (const statuses of heard.values()) {
    const changes = statuses.filter((s) => s !== 'CONFIRMED');
    expect(changes).toEqual(['PROCESSING', 'SHIPPED', 'DELIVERED']);
  }
});

test('the checkout budget is one budget: calls alternating between the gateways run out at the shared limit', async () => {
  const token = await testToken(uniqueName('scale-hasty'));
  const codes: (string | number)[] = [];
  for (let i = 0; i < CHECKOUT_BUDGET + 3; i++) {
    const res = await graphqlRequest(
      gateways()[i % 2] as string,
      CHECKOUT,
      {
        input: {
          idempotencyKey: uniqueName('k'),
          shippingAddress: address,
          paymentMethod: 'card_ok',
        },
      },
      token,
    );
    // The cart is empty, so the calls within budget fail with BAD_USER_INPUT; that still costs.
    codes.push(res.errors?.[0]?.extensions?.code === 'RATE_LIMITED' ? res.status : 'spent');
  }
  // Per-instance budgets would let 2 × CHECKOUT_BUDGET through before the first 429.
  expect(codes).toEqual([...Array(CHECKOUT_BUDGET).fill('spent'), 429, 429, 429]);
});

test("a crashed instance's stuck sessions are recovered once each, by the two survivors' loops", async () => {
  const products = ['21', '22', '23', '24', '25'];
  const before = await stock(products);
  const buyers = await Promise.all(
    products.map((p, i) => shopper(gateways()[i % 2] as string, p, 2)),
  );

  // A third checkout instance, reached directly, dies at the first charge it makes; its lease
  // is short, so the survivors take over soon after. It never runs recovery itself.
  await platform.start(
    'checkout',
    { CHECKOUT_CRASH_AT: 'AFTER_CHARGE', RECOVERY_ENABLED: 'false', SAGA_LEASE_MS: '4000' },
    2,
  );
  const doomed = platform.instanceUrl('checkout', 2);
  const answers = await Promise.all(
    buyers.map(({ token }) =>
      graphqlRequest(
        doomed,
        CHECKOUT,
        {
          input: {
            idempotencyKey: uniqueName('k'),
            shippingAddress: address,
            paymentMethod: 'card_ok',
          },
        },
        token,
      ).then(
        () => 'answered',
        () => 'lost',
      ),
    ),
  );
  await platform.exited('checkout', 2);
  expect(answers.every((a) => a === 'lost')).toBe(true);

  const sessions = async () =>
    (
      await checkoutDb.query<{ id: string; user_id: string; status: string; total_amount: string }>(
        'SELECT id, user_id, status, total_amount::text FROM checkout_sessions WHERE user_id = ANY($1)',
        [buyers.map((x) => x.user)],
      )
    ).rows;
  const stuck = await sessions();
  console.log(
    'left by the crash',
    stuck.map((s) => s.status),
  );
  expect(stuck.length).toBeGreaterThan(0);
  expect(stuck.some((s) => s.status === 'COMPLETED')).toBe(false);

  const finished = await waitFor(
    async () => {
      const rows = await sessions();
      return rows.every((s) => s.status === 'COMPLETED') ? rows : undefined;
    },
    { what: 'recovery of every stuck session', timeoutMs: 60_000 },
  );
  const ids = finished.map((s) => s.id);

  // Once per session across both survivors: one claim, one charge, stock sold once, one order.
  const claims = [0, 1].map((i) =>
    platform
      .logOf('checkout', i)
      .split('\n')
      .filter((line) => line.includes('"recovering checkout"'))
      .map((line) => (JSON.parse(line) as { checkoutId: string }).checkoutId)
      .filter((id) => ids.includes(id)),
  );
  console.log(
    'recovered by instance',
    claims.map((c) => c.length),
  );
  expect(claims.flat().sort()).toEqual([...ids].sort());
  for (const s of finished) {
    const c = await charge(s.id);
    expect(c).toMatchObject({ status: 'SUCCEEDED', chargeRequests: 1 });
    expect(parseCents(c.chargedAmount)).toBe(parseCents(s.total_amount));
  }
  const after = await stock(products);
  const sold = buyers.map((x) => finished.some((s) => s.user_id === x.user));
  products.forEach((p, i) => {
    expect(after.get(p)).toEqual({
      available: before.get(p)!.available - (sold[i] ? 2 : 0),
      reserved: 0,
    });
  });
  const orders = await ordersFor(ids);
  expect([...orders.values()]).toEqual(ids.map(() => 1));
});
