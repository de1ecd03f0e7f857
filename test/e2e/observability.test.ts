/**
 * One purchase, seen from the inside: its trace in the real Jaeger (scripts/infra.sh starts it,
 * query API on JAEGER_QUERY_URL, default http://127.0.0.1:16686) spans every process it touched
 * under one trace id, parented across HTTP, gRPC and Kafka; the same id is in those processes'
 * log lines; a subscriber's message about a later status change is pushed in that change's
 * trace; every operation has its access line with the request id the response returned; and
 * /metrics has the histograms and the consumer lag after the traffic.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '@shop/shared';
import type { Client } from 'graphql-ws';
import { graphqlRequest, infra, testToken, uniqueName, waitFor } from '@shop/shared/src/testing';
import {
  OTLP_ENDPOINT,
  startPlatform,
  traceBackendUp,
  tracingWanted,
  type Platform,
  type ServiceName,
} from './platform';
import { followOrder, shopper } from './shopper';

jest.setTimeout(300_000);

const JAEGER = process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The gateway's span for one change handed to subscribers (gateway/src/subscriptions). */
const PUSH_SPAN = 'push orderStatusChanged';

interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

async function fetchTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${JAEGER}/api/traces/${traceId}`);
  if (!res.ok) return undefined;
  const body = (await res.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

/** A fetched trace with the lookups the assertions need. */
function traceView(trace: JaegerTrace) {
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  const service = (s: JaegerSpan) => trace.processes[s.processID]?.serviceName ?? '?';
  const parentOf = (s: JaegerSpan) => {
    const ref = s.references.find((r) => r.refType === 'CHILD_OF');
    return ref ? byId.get(ref.spanID) : undefined;
  };
  const ancestors = (s: JaegerSpan): JaegerSpan[] => {
    const parent = parentOf(s);
    return parent ? [parent, ...ancestors(parent)] : [];
  };
  return {
    spans: trace.spans,
    service,
    parentOf,
    ancestors,
    label: (s: JaegerSpan) => `${service(s)} ${s.operationName}`,
    tag: (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value,
    /** The spans of one process whose operation is `op` (a string matches exactly). */
    named: (name: string, op: string | RegExp) =>
      trace.spans.filter(
        (s) =>
          service(s) === name &&
          (typeof op === 'string' ? s.operationName === op : op.test(s.operationName)),
      ),
    orphans: () => trace.spans.filter((s) => !parentOf(s)),
  };
}

type TraceView = ReturnType<typeof traceView>;

/**
 * The trace once Jaeger holds a span of each of `services`, each [service, operation] of
 * `named`, the parent of every span but the root, and whatever `more` says is still missing.
 * Spans arrive in no set order (several exporters, each batching), so a test never reads "the
 * first span that arrived".
 */
async function completeTrace(
  traceId: string,
  services: string[],
  named: [string, string][],
  more: (view: TraceView) => string[] = () => [],
): Promise<TraceView> {
  return waitFor(
    async () => {
      const found = await fetchTrace(traceId);
      if (!found) throw new Error('not in Jaeger yet');
      const view = traceView(found);
      const missing = [
        ...services
          .filter((name) => !view.spans.some((s) => view.service(s) === name))
          .map((name) => `any span of ${name}`),
        ...named
          .filter(([name, op]) => view.named(name, op).length === 0)
          .map(([name, op]) => `${name} "${op}"`),
        // A parent exported later than its child would look like a broken trace: wait for it.
        ...view
          .orphans()
          .slice(1)
          .map((s) => `the parent of ${view.label(s)}`),
        ...more(view),
      ];
      if (missing.length > 0) throw new Error(`still missing ${missing.join(', ')}`);
      return view;
    },
    { what: `trace ${traceId} in Jaeger, complete`, timeoutMs: 60_000, intervalMs: 1000 },
  );
}

/** The one span of `name` with operation `op` and span kind `kind` in the trace. */
function onlySpan(trace: TraceView, name: string, op: string | RegExp, kind: string): JaegerSpan {
  const found = trace.named(name, op).filter((s) => trace.tag(s, 'span.kind') === kind);
  expect({ span: `${name} ${kind} ${op}`, count: found.length }).toEqual({
    span: `${name} ${kind} ${op}`,
    count: 1,
  });
  return found[0]!;
}

/** The JSON lines a process has written so far (stderr's odd non-JSON line is skipped). */
function jsonLines(platform: Platform, name: ServiceName): Record<string, unknown>[] {
  return platform
    .logOf(name)
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

// SHOP_TRACING=off is the documented way to run without Jaeger: then there is no trace to read.
if (!tracingWanted) {
  console.warn('observability e2e skipped: SHOP_TRACING=off (no Jaeger to read traces from)');
}
const describeTraced = tracingWanted ? describe : describe.skip;

describeTraced('observability of one purchase', () => {
  let kafka: Kafka;
  let platform: Platform;
  let token: string;
  let adminToken: string;
  const user = uniqueName('tracy');
  const clients: Client[] = [];

  beforeAll(async () => {
    // Tracing is wanted, so a missing Jaeger is a failure with a fix, not a silent skip.
    if (!(await traceBackendUp())) {
      throw new Error(
        `No OTLP receiver at ${OTLP_ENDPOINT}: start Jaeger with \`bash scripts/infra.sh up\`, or set SHOP_TRACING=off to skip this test.`,
      );
    }
    kafka = createKafka({
      clientId: 'e2e-observability',
      brokers: infra.kafkaBrokers,
      logger: pino({ level: 'silent' }),
    });
    platform = await startPlatform(kafka, {
      // Product is a read-only catalog: at info it rightly says nothing per request. Its
      // per-lookup lines are debug, the level an operator following one checkout turns on.
      env: { product: { LOG_LEVEL: 'debug' } },
    });
    token = await testToken(user);
    adminToken = await testToken(uniqueName('staff'), { scope: 'admin' });
    // Seven processes starting on a shared, busy machine can take minutes.
  }, 600_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await platform?.stop();
  });

  const gql = (query: string, variables: Record<string, unknown> = {}) =>
    graphqlRequest(platform.gatewayUrl, query, variables, token);

  /**
   * One operation as an instrumented client sends it: with its own `traceparent` (so the test
   * knows the trace id) and an `X-Request-Id` when given; the raw response and its body.
   */
  async function send(operation: {
    query: string;
    variables?: Record<string, unknown>;
    token?: string;
    traceId?: string;
    requestId?: string;
  }) {
    const res = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'apollo-require-preflight': 'true',
        ...(operation.token ? { authorization: `Bearer ${operation.token}` } : {}),
        ...(operation.traceId
          ? { traceparent: `00-${operation.traceId}-${randomBytes(8).toString('hex')}-01` }
          : {}),
        ...(operation.requestId ? { 'x-request-id': operation.requestId } : {}),
      },
      body: JSON.stringify({ query: operation.query, variables: operation.variables ?? {} }),
    });
    const body = (await res.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions?: { code?: string } }[];
      extensions?: Record<string, unknown>;
    };
    return { res, body };
  }

  /** The gateway's access line for which `match` holds, once it is in the log file. */
  const accessLine = (what: string, match: (line: Record<string, unknown>) => boolean) =>
    waitFor(
      () => jsonLines(platform, 'gateway').find((l) => l.msg === 'graphql operation' && match(l)),
      { what: `the gateway's access line for ${what}` },
    );

  test('one checkout is one trace from the request to the order row, and its logs carry the id', async () => {
    const added = await gql(
      'mutation { addToCart(productId: "3", quantity: 1) { totalQuantity } }',
    );
    expect(added.errors).toBeUndefined();

    // The client starts the trace, as an instrumented front end would: the gateway continues it.
    const traceId = randomBytes(16).toString('hex');
    const requestId = `e2e-${traceId.slice(0, 8)}`;
    const { res, body } = await send({
      query: `mutation Purchase($input: CheckoutInput!) { checkout(input: $input) {
          id status items { product { name } } } }`,
      variables: {
        input: {
          idempotencyKey: uniqueName('traced'),
          paymentMethod: 'card_ok',
          shippingAddress: {
            name: 'Tracy Example',
            line1: '1 Main St',
            city: 'Springfield',
            postalCode: '12345',
            country: 'US',
          },
        },
      },
      token,
      traceId,
      requestId,
    });
    expect(body.errors).toBeUndefined();
    expect((body.data?.checkout as { status: string } | undefined)?.status).toBe('COMPLETED');
    expect(res.headers.get('x-request-id')).toBe(requestId);

    // Every process the purchase touched, including the asynchronous tail: the checkout relay's
    // publish, the orders consumer creating the order, the cart consumer clearing the cart, and
    // the orders relay's OrderStatusChanged reaching the gateway's subscription feed. Spans reach
    // Jaeger in no set order (seven exporters, each batching), so every lookup below names the
    // process, the span kind and the topic it wants, never "the first span that arrived".
    const { checkoutEvents, orderEvents } = platform.topics;
    const trace = await completeTrace(
      traceId,
      ['gateway', 'product', 'cart', 'checkout', 'inventory', 'payment', 'orders'],
      [
        ['checkout', `publish ${checkoutEvents}`],
        ['orders', `process ${checkoutEvents}`],
        ['cart', `process ${checkoutEvents}`],
        ['orders', `publish ${orderEvents}`],
        ['gateway', `process ${orderEvents}`],
      ],
    );
    const { service, parentOf, ancestors, label } = trace;
    const one = (name: string, op: string | RegExp, kind: string) =>
      onlySpan(trace, name, op, kind);

    // One trace: every span's parent is in it, except the gateway's entry span, whose parent is
    // the client's (not exported).
    expect(trace.orphans().map(label)).toEqual([expect.stringMatching(/^gateway POST/)]);

    // HTTP: the checkout subgraph's server span is a child of the gateway's fetch.
    const checkoutServer = one('checkout', /^POST/, 'server');
    expect(label(parentOf(checkoutServer)!)).toMatch(/^gateway /);
    expect(trace.tag(parentOf(checkoutServer)!, 'span.kind')).toBe('client');
    // Server spans are named after their route (httpRoute), without a span per Express layer.
    expect(label(checkoutServer)).toBe('checkout POST /graphql');
    expect(trace.tag(checkoutServer, 'http.route')).toBe('/graphql');
    expect(trace.named('gateway', 'POST /graphql')).toHaveLength(1);
    expect(
      trace.spans.filter((s) => /^(middleware|router|request handler) - /.test(s.operationName)),
    ).toEqual([]);
    // gRPC: the stubs' server spans are children of checkout's client spans for the same call.
    for (const method of [
      'shop.inventory.v1.Inventory/Reserve',
      'shop.payment.v1.Payment/Charge',
    ]) {
      const stub = method.includes('Inventory') ? 'inventory' : 'payment';
      const server = one(stub, `grpc.${method}`, 'server');
      expect(label(parentOf(server)!)).toBe(`checkout grpc.${method}`);
      expect(trace.tag(parentOf(server)!, 'span.kind')).toBe('client');
    }
    // Kafka, first hop: checkout's relay publishes CheckoutCompleted inside the checkout's own
    // trace (the outbox row kept the request's traceparent), below the checkout server span...
    const publish = one('checkout', `publish ${checkoutEvents}`, 'producer');
    expect(trace.tag(publish, 'shop.event.type')).toBe('CheckoutCompleted');
    expect(trace.tag(publish, 'messaging.destination.name')).toBe(checkoutEvents);
    expect(ancestors(publish)).toContain(checkoutServer);
    expect(ancestors(publish).map(service)).toContain('gateway');
    // ...and both consumers of that topic process exactly that message.
    const ordersProcess = one('orders', `process ${checkoutEvents}`, 'consumer');
    expect(parentOf(ordersProcess)).toBe(publish);
    expect(parentOf(one('cart', `process ${checkoutEvents}`, 'consumer'))).toBe(publish);
    // The order row's INSERT happened inside the orders consumer's processing.
    expect(
      trace.spans.some(
        (s) =>
          service(s) === 'orders' &&
          /INSERT/i.test(s.operationName) &&
          ancestors(s).includes(ordersProcess),
      ),
    ).toBe(true);
    // Kafka, second hop: the orders relay's OrderStatusChanged continues the orders consumer's
    // transaction, and the gateway's subscription feed processes it.
    const ordersPublish = one('orders', `publish ${orderEvents}`, 'producer');
    expect(ancestors(ordersPublish)).toContain(ordersProcess);
    expect(parentOf(one('gateway', `process ${orderEvents}`, 'consumer'))).toBe(ordersPublish);

    // Logs that join: the same trace id in the lines of every process the purchase touched
    // (product's are debug, see beforeAll; inventory's reservation and payment's charge are info).
    const loggedIn = new Map<string, string>();
    for (const name of [
      'gateway',
      'product',
      'cart',
      'checkout',
      'inventory',
      'payment',
      'orders',
    ] as ServiceName[]) {
      const joined = jsonLines(platform, name).filter((l) => l.trace_id === traceId);
      expect({ name, joined: joined.length > 0 }).toEqual({ name, joined: true });
      for (const line of joined) loggedIn.set(String(line.span_id), `${name}: ${String(line.msg)}`);
    }
    // Each such line names the span it was written in, and that span is in the trace (waited
    // for: a line's span may end, and be exported, after the spans looked for above).
    await completeTrace(traceId, [], [], (view) =>
      [...loggedIn]
        .filter(([spanId]) => !view.spans.some((s) => s.spanID === spanId))
        .map(([spanId, line]) => `span ${spanId} of the line "${line}"`),
    );
    // The request id travels with the HTTP requests (gateway → subgraph): checkout's lines
    // about this purchase carry the caller's id and user.
    expect(
      jsonLines(platform, 'checkout').filter((l) => l.trace_id === traceId && l.request_id),
    ).toEqual(
      expect.arrayContaining([expect.objectContaining({ request_id: requestId, user_id: user })]),
    );
    const access = await accessLine('Purchase', (l) => l.trace_id === traceId);
    expect(access).toMatchObject({
      request_id: requestId,
      user_id: user,
      operation: { name: 'Purchase', type: 'mutation' },
      outcome: 'ok',
    });
    expect(JSON.stringify(access)).not.toMatch(/Bearer|Main St/);
  });

  test("a subscriber's message is pushed in the trace of the status change that caused it", async () => {
    const shop = shopper(platform.gatewayUrl);
    await shop.addToCart(token, '5', 1);
    const session = await shop.checkout(token);
    const order = await shop.orderOfCheckout<{ id: string; version: number; status: string }>(
      token,
      session.id,
    );
    expect(order.status).toBe('CONFIRMED');
    // The owner follows the order over graphql-ws before staff move it along.
    const { received, client } = await followOrder<{ id: string; status: string; version: number }>(
      platform.gatewayUrl,
      token,
      order.id,
    );
    clients.push(client);

    const traceId = randomBytes(16).toString('hex');
    const moved = await send({
      query: `mutation StaffMovesOrder($id: ID!) {
        updateOrderStatus(id: $id, status: PROCESSING) { status version } }`,
      variables: { id: order.id },
      token: adminToken,
      traceId,
    });
    expect(moved.body.errors).toBeUndefined();
    const version = (moved.body.data?.updateOrderStatus as { version: number }).version;
    expect(version).toBe(order.version + 1);

    // The subscriber got the change...
    const message = await waitFor(
      () => received.find((m) => m.orderStatusChanged.status === 'PROCESSING'),
      { what: "the subscriber's PROCESSING message", timeoutMs: 30_000 },
    );
    expect(message.orderStatusChanged).toMatchObject({
      id: order.id,
      status: 'PROCESSING',
      version,
    });

    // ...and its push is in the change's trace: the updateOrderStatus request → the orders
    // outbox → the orders relay's publish → the gateway's order-events consumer → the push.
    const { orderEvents } = platform.topics;
    /** The orders server spans below the gateway's processing of the event: its read. */
    const readOfVersion = (view: TraceView) => {
      const processed = view.named('gateway', `process ${orderEvents}`);
      return view.spans.filter(
        (s) =>
          view.service(s) === 'orders' &&
          view.tag(s, 'span.kind') === 'server' &&
          view.ancestors(s).some((a) => processed.includes(a)),
      );
    };
    const trace = await completeTrace(
      traceId,
      ['gateway', 'orders'],
      [
        ['orders', `publish ${orderEvents}`],
        ['gateway', `process ${orderEvents}`],
        ['gateway', PUSH_SPAN],
      ],
      (view) => (readOfVersion(view).length > 0 ? [] : ['the orders read for the subscriber']),
    );
    expect(trace.orphans().map(trace.label)).toEqual([expect.stringMatching(/^gateway POST/)]);
    const publish = onlySpan(trace, 'orders', `publish ${orderEvents}`, 'producer');
    expect(trace.tag(publish, 'shop.event.type')).toBe('OrderStatusChanged');
    // The outbox row kept the traceparent of the request that changed the status.
    const changeServer = trace
      .ancestors(publish)
      .find((s) => trace.service(s) === 'orders' && trace.tag(s, 'span.kind') === 'server');
    expect(changeServer && trace.label(trace.parentOf(changeServer)!)).toMatch(/^gateway /);
    const consumed = onlySpan(trace, 'gateway', `process ${orderEvents}`, 'consumer');
    expect(trace.parentOf(consumed)).toBe(publish);
    const [push, ...more] = trace.named('gateway', PUSH_SPAN);
    expect(more).toEqual([]);
    expect(trace.parentOf(push!)).toBe(consumed);
    expect({
      order: trace.tag(push!, 'shop.order.id'),
      version: trace.tag(push!, 'shop.order.version'),
      subscriptions: trace.tag(push!, 'shop.subscriptions'),
    }).toEqual({ order: order.id, version, subscriptions: 1 });
    // The read of that version for the subscriber ran in the same trace, below the consumer.
    expect(readOfVersion(trace).map((s) => trace.ancestors(s).includes(consumed))).toEqual([true]);
    // And the change's log lines join it: staff's access line and orders' "order status changed".
    expect(await accessLine('StaffMovesOrder', (l) => l.trace_id === traceId)).toMatchObject({
      operation: { name: 'StaffMovesOrder', type: 'mutation' },
      outcome: 'ok',
    });
    expect(
      jsonLines(platform, 'orders').some(
        (l) => l.trace_id === traceId && l.msg === 'order status changed',
      ),
    ).toBe(true);
    // The gateway's read for the subscriber is an operation of its own, with its access line in
    // the same trace (no HTTP request behind it: no request id, no edge cost).
    const read = await accessLine(
      'the read for the subscriber',
      (l) =>
        l.trace_id === traceId &&
        (l.operation as { name?: string } | undefined)?.name === 'OrderStatusChangedSelection',
    );
    expect(read).toMatchObject({ operation: { type: 'query' }, outcome: 'ok' });
    expect(read).not.toHaveProperty('request_id');
  });

  test('request ids: generated when absent, echoed when supplied, and on the access line with trace, user, operation, duration, outcome and cost', async () => {
    // No X-Request-Id: the gateway makes one and returns it.
    const traceId = randomBytes(16).toString('hex');
    const mine = await send({ query: 'query MyCart { cart { totalQuantity } }', token, traceId });
    expect(mine.body.errors).toBeUndefined();
    const generated = mine.res.headers.get('x-request-id');
    expect(generated).toMatch(UUID);
    const cost = mine.body.extensions?.cost as { estimated: number; max: number };
    expect(cost).toEqual({ estimated: expect.any(Number), max: expect.any(Number) });
    const line = await accessLine('MyCart', (l) => l.request_id === generated);
    expect(line).toEqual(
      expect.objectContaining({
        service: 'gateway',
        component: 'access',
        request_id: generated,
        trace_id: traceId,
        span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
        user_id: user,
        operation: { name: 'MyCart', type: 'query' },
        duration_ms: expect.any(Number),
        outcome: 'ok',
        // The cost the edge computed, as the response reported it.
        cost,
      }),
    );
    expect(line.duration_ms as number).toBeGreaterThan(0);

    // A usable X-Request-Id is echoed and logged; without a token there is no user_id, and the
    // outcome is the code the client was told.
    const supplied = `client-${randomBytes(4).toString('hex')}.1`;
    const refused = await send({
      query: 'query MyOrders { orders(first: 1) { edges { node { id } } } }',
      requestId: supplied,
    });
    expect(refused.res.headers.get('x-request-id')).toBe(supplied);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const refusedLine = await accessLine('MyOrders', (l) => l.request_id === supplied);
    expect(refusedLine).toMatchObject({
      operation: { name: 'MyOrders', type: 'query' },
      outcome: 'UNAUTHENTICATED',
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(refusedLine).not.toHaveProperty('user_id');

    // One that is not plain (it would end up in headers and logs as given) is replaced.
    const odd = await send({
      query: 'query MyCart { cart { totalQuantity } }',
      token,
      requestId: 'two words',
    });
    expect(odd.res.headers.get('x-request-id')).toMatch(UUID);
  });

  test('/metrics exposes the operation histograms and the consumer lag with real values', async () => {
    const gatewayMetrics = await (await fetch(new URL('/metrics', platform.gatewayUrl))).text();
    expect(gatewayMetrics).toMatch(
      /^graphql_operation_duration_seconds_count\{[^}]*operation_name="Purchase"[^}]*\} [1-9]/m,
    );
    expect(gatewayMetrics).toMatch(
      /^graphql_subgraph_fetch_duration_seconds_count\{[^}]*subgraph="checkout"[^}]*\} [1-9]/m,
    );
    const ordersMetrics = await platform.metricsOf('orders');
    expect(ordersMetrics).toMatch(/^kafka_consumer_lag\{[^}]*partition="\d"[^}]*\} \d+/m);
    expect(ordersMetrics).toMatch(/^outbox_backlog_rows \d+/m);
    const checkoutMetrics = await platform.metricsOf('checkout');
    expect(checkoutMetrics).toMatch(
      /^rpc_client_duration_seconds_count\{[^}]*rpc_service="payment"[^}]*\} [1-9]/m,
    );
  });
});
