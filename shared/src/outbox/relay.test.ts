import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import type { Consumer, Kafka } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '../kafka';
import { createTestDatabase, infra, uniqueName, waitFor } from '../testing';
import { OUTBOX_SQL_PATH, startOutboxRelay, type OutboxRelay } from '.';

const logger = pino({ level: 'silent' });
const infraScript = path.join(__dirname, '../../../scripts/infra.sh');

describe('outbox relay', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let kafka: Kafka;
  let topic: string;
  let consumer: Consumer;
  const received: { key: string; value: { n: number }; outboxId: string }[] = [];
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('outbox');
    pool = new Pool({ connectionString: db.url });
    await pool.query(readFileSync(OUTBOX_SQL_PATH, 'utf8'));
    kafka = createKafka({ clientId: 'outbox-test', brokers: infra.kafkaBrokers, logger });
    topic = uniqueName('outbox-test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    consumer = kafka.consumer({ groupId: uniqueName('outbox-test') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          key: message.key?.toString() ?? '',
          value: JSON.parse(message.value?.toString() ?? 'null') as { n: number },
          outboxId: message.headers?.['outbox-id']?.toString() ?? '',
        });
      },
    });
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await consumer.disconnect();
    await pool.end();
    await db.drop();
  });

  async function insert(from: number, count: number): Promise<void> {
    const values = Array.from({ length: count }, (_, i) => from + i);
    await pool.query(
      `INSERT INTO outbox_events (aggregate_id, event_type, topic, message_key, payload)
       SELECT 'agg-' || n, 'TestEvent', $1, 'key-' || (n % 3), json_build_object('n', n)
         FROM unnest($2::int[]) AS n`,
      [topic, values],
    );
  }

  const receivedNumbers = () => received.map((m) => m.value.n);
  const unprocessed = async () =>
    Number(
      (await pool.query('SELECT count(*) AS n FROM outbox_events WHERE processed_at IS NULL'))
        .rows[0].n,
    );

  test('a NOTIFY wakes the relay, which publishes rows in order and marks them processed', async () => {
    // A poll interval far longer than the test timeout: only the notification can explain delivery.
    relays.push(
      await startOutboxRelay({ postgresUrl: db.url, kafka, logger, pollIntervalMs: 600_000 }),
    );
    await new Promise((r) => setTimeout(r, 300)); // let it go idle on its LISTEN
    await insert(1, 5);
    await waitFor(() => received.length >= 5, { what: '5 messages' });
    expect(receivedNumbers()).toEqual([1, 2, 3, 4, 5]);
    expect(received[0]?.key).toBe('key-1');
    // Marked after the broker's acknowledgement, which may reach the relay after the consumer
    // has the messages: wait for it rather than race it.
    await waitFor(async () => (await unprocessed()) === 0, { what: 'every row marked processed' });
  });

  test('stop() during a batch returns at once, not after the poll interval', async () => {
    const relay = await startOutboxRelay({
      postgresUrl: db.url,
      kafka,
      logger,
      pollIntervalMs: 600_000,
    });
    relays.push(relay);
    await new Promise((r) => setTimeout(r, 300)); // idle on its LISTEN
    // Hold the table so the batch that drained() asks for blocks inside its SELECT...
    const blocker = await pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE outbox_events IN ACCESS EXCLUSIVE MODE');
      void relay.drained();
      await new Promise((r) => setTimeout(r, 300));
      // ...and stop while it is there: the batch then finds nothing, and the relay must not go
      // back to sleep for the 10-minute poll interval.
      const started = Date.now();
      const stopping = relay.stop();
      await new Promise((r) => setTimeout(r, 200));
      await blocker.query('COMMIT');
      await stopping;
      relays.splice(relays.indexOf(relay), 1);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      blocker.release();
    }
  });

  test('two relays on one database publish each event once, in order', async () => {
    received.length = 0;
    relays.push(await startOutboxRelay({ postgresUrl: db.url, kafka, logger }));
    relays.push(await startOutboxRelay({ postgresUrl: db.url, kafka, logger }));
    for (let batch = 0; batch < 10; batch++) await insert(100 + batch * 10, 10);
    await waitFor(() => received.length >= 100, { what: '100 messages' });
    await Promise.all(relays.map((r) => r.drained()));
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now
    expect(receivedNumbers()).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
  });

  test('a row that commits after a later one still gets published (ids are not commit order)', async () => {
    received.length = 0;
    relays.push(await startOutboxRelay({ postgresUrl: db.url, kafka, logger }));
    // The first row takes its id, then its transaction stays open while a second row, with a
    // higher id, commits and is published. Ids are handed out at insert, not at commit, so a
    // relay that kept a high-water mark of the ids it had sent (`WHERE id > last`) would never
    // send the first row; every batch reads every unprocessed row and marks only what it sent.
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(
        `INSERT INTO outbox_events (aggregate_id, event_type, topic, message_key, payload)
         VALUES ('agg-slow', 'TestEvent', $1, 'key-slow', json_build_object('n', 501))`,
        [topic],
      );
      await insert(502, 1);
      await waitFor(() => receivedNumbers().includes(502), { what: 'the later row published' });
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    await waitFor(() => receivedNumbers().includes(501), { what: 'the earlier row published' });
    expect(receivedNumbers()).toEqual([502, 501]);
    await waitFor(async () => (await unprocessed()) === 0, { what: 'both rows marked processed' });
  });

  test('rows written while Kafka is down are all delivered once it is back', async () => {
    received.length = 0;
    const relay = await startOutboxRelay({
      postgresUrl: db.url,
      kafka,
      logger,
      maxBackoffMs: 1000,
    });
    relays.push(relay);
    execFileSync('bash', [infraScript, 'stop', 'kafka'], { stdio: 'ignore' });
    try {
      await insert(1000, 20);
      await new Promise((r) => setTimeout(r, 2000));
      expect(await unprocessed()).toBe(20);
    } finally {
      execFileSync('bash', [infraScript, 'start', 'kafka'], { stdio: 'ignore' });
    }
    await waitFor(() => received.length >= 20, {
      what: '20 messages after restart',
      timeoutMs: 90_000,
    });
    await relay.drained();
    expect(new Set(receivedNumbers())).toEqual(
      new Set(Array.from({ length: 20 }, (_, i) => 1000 + i)),
    );
    expect(await unprocessed()).toBe(0);
  }, 180_000);
});
