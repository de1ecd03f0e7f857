/**
 * Kafka stops while shoppers check out. Checkouts must still complete (the outbox decouples
 * them from the broker) and, once Kafka is back, every CheckoutCompleted must reach the topic.
 * The outage is kept short and Kafka is restarted in `finally`: other suites share the broker.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { uniqueName } from '@shop/shared/src/testing';
import type { CheckoutService } from '../src/service';
import {
  checkoutInput,
  startWorld,
  submitCheckout,
  waitFor,
  type SessionData,
  type World,
} from './world';

const run = promisify(execFile);
const INFRA = path.resolve(__dirname, '../../../scripts/infra.sh');
const kafkaCommand = (command: 'stop' | 'start') => run('bash', [INFRA, command, 'kafka']);

let world: World;
let checkout: CheckoutService;

beforeAll(async () => {
  world = await startWorld({ consumeEvents: false });
  checkout = await world.startCheckout();
}, 120_000);

afterAll(async () => {
  await world?.stop();
});

async function unprocessedOutboxRows(): Promise<number> {
  const db = new Client({ connectionString: world.postgresUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM outbox_events WHERE processed_at IS NULL',
    );
    return Number(rows[0]?.n);
  } finally {
    await db.end();
  }
}

async function buyOne(): Promise<SessionData> {
  const user = uniqueName('outage');
  await world.addToCart(user, '28', 1);
  const res = await submitCheckout(checkout.graphqlUrl, user, checkoutInput(uniqueName('key')));
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.checkout;
}

test('checkouts complete while Kafka is down, and every event is delivered once it is back', async () => {
  const sessions: SessionData[] = [];
  try {
    // Checkouts running while the broker goes away…
    const stopping = kafkaCommand('stop');
    const during = Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 100));
        return buyOne();
      }),
    );
    await stopping;
    sessions.push(...(await during));
    // …and while it is gone.
    for (let i = 0; i < 4; i++) sessions.push(await buyOne());

    expect(sessions.map((s) => s.status)).toEqual(Array(12).fill('COMPLETED'));
    expect(await unprocessedOutboxRows()).toBeGreaterThan(0);
  } finally {
    await kafkaCommand('start');
  }
  // Read back from the beginning of the topic, now that the broker is back.
  await world.startConsumer();

  await waitFor(() => sessions.every((s) => world.eventsFor(s.id).length > 0), {
    what: 'every event after the restart',
    timeoutMs: 120_000,
    intervalMs: 200,
  });
  for (const s of sessions) {
    // Delivery is at least once: a batch whose ack was lost in the outage may come twice,
    // but always as the same event (one event id per checkout) for consumers to dedupe.
    expect(new Set(world.eventsFor(s.id).map((r) => r.event.eventId)).size).toBe(1);
  }
  await waitFor(async () => (await unprocessedOutboxRows()) === 0, { what: 'an empty outbox' });
}, 240_000);
