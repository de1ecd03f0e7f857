import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { Pool } from 'pg';
import {
  createTestDatabase,
  infra,
  TEST_JWT_SECRET,
  uniqueName,
  waitFor,
} from '@shop/shared/src/testing';
import {
  asMessage,
  checkoutCompleted,
  createTopics,
  deleteTopics,
  produce,
  testKafka,
  waitForCommitted,
} from './support';

const ENTRY = path.join(__dirname, '../src/index.ts');

/**
 * The real service process, killed with SIGKILL (no shutdown hook runs, nothing is flushed):
 * the only honest way to show that offsets are committed after, and only after, the order is.
 */
describe('orders consumer killed mid-stream (real process, SIGKILL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let kafka: Kafka;
  let producer: Producer;
  let topics: string[];
  const groupId = uniqueName('orders-service');
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    db = await createTestDatabase('orders_crash');
    pool = new Pool({ connectionString: db.url });
    kafka = testKafka();
    topics = await createTopics(kafka, [
      { prefix: 'checkout-events', partitions: 3 },
      { prefix: 'checkout-events-dlq', partitions: 1 },
      { prefix: 'order-events', partitions: 1 },
    ]);
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    children.forEach((child) => child.kill('SIGKILL'));
    await producer.disconnect();
    await deleteTopics(kafka, topics);
    await pool.end();
    await db.drop();
  });

  /** Starts the service (consumer on, relay off) and resolves once it consumes. */
  async function startService(): Promise<ChildProcess> {
    const [checkoutTopic, dlqTopic, orderTopic] = topics;
    // `--import tsx` keeps it one process, so SIGKILL hits the consumer itself (the tsx CLI
    // would put the service in a grandchild that outlives the kill).
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      env: {
        ...process.env,
        PORT: '0',
        LOG_LEVEL: 'info',
        JWT_SECRET: TEST_JWT_SECRET,
        POSTGRES_URL: db.url,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        CHECKOUT_EVENTS_TOPIC: checkoutTopic,
        CHECKOUT_EVENTS_DLQ_TOPIC: dlqTopic,
        ORDER_EVENTS_TOPIC: orderTopic,
        CONSUMER_GROUP: groupId,
        // The broker's minimum: the survivor gets the dead member's partitions sooner.
        CONSUMER_SESSION_TIMEOUT_MS: '6000',
        OUTBOX_RELAY_ENABLED: 'false',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`service did not start consuming:\n${output.slice(-3000)}`)),
        45_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('consuming checkout events')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`service exited with ${code}:\n${output.slice(-3000)}`));
      });
    });
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  const orderCount = async () =>
    Number((await pool.query('SELECT count(*) AS n FROM orders')).rows[0].n);

  test('after three kills and restarts while events keep coming, every event is exactly one order', async () => {
    const checkoutTopic = topics[0]!;
    const batches = 4;
    const perBatch = 40;
    const total = batches * perBatch;
    const sent: string[] = [];
    const send = async (count: number) => {
      const evts = Array.from({ length: count }, () => checkoutCompleted());
      sent.push(...evts.map((e) => e.checkoutId));
      // Small sends, so the consumer is busy with a stream rather than one burst.
      for (let i = 0; i < evts.length; i += 5) {
        await produce(producer, checkoutTopic, evts.slice(i, i + 5).map(asMessage));
      }
    };

    let child = await startService();
    for (let batch = 1; batch < batches; batch++) {
      const before = await orderCount();
      await send(perBatch);
      // Kill it while it is working through the batch: some of it done, some not.
      await waitFor(async () => (await orderCount()) > before + 5, {
        what: 'the consumer to be mid-batch',
        intervalMs: 5,
      });
      await kill(child);
      // Evidence the kill landed mid-stream: part of the batch was not yet an order.
      expect(await orderCount()).toBeLessThan(before + perBatch);
      child = await startService();
    }
    await send(perBatch);

    await waitFor(async () => (await orderCount()) >= total, {
      what: `${total} orders`,
      timeoutMs: 60_000,
    });
    await waitForCommitted(kafka, groupId, checkoutTopic, total);
    await kill(child);

    const { rows } = await pool.query<{ checkout_id: string; items: string }>(
      `SELECT o.checkout_id, (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS items
         FROM orders o`,
    );
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r.checkout_id))).toEqual(new Set(sent));
    expect(rows.every((r) => Number(r.items) === 2)).toBe(true);
    const events = await pool.query('SELECT count(*) AS n FROM outbox_events');
    expect(Number(events.rows[0].n)).toBe(total);
  }, 240_000);
});
