import { SpanStatusCode } from '@opentelemetry/api';
import { Client, Pool, type QueryResult } from 'pg';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, register } from 'prom-client';
import { startPublishSpan, withoutInstrumentation } from '../telemetry/traceContext';

export interface OutboxRelayOptions {
  postgresUrl: string;
  kafka: Kafka;
  logger: Logger;
  /** Fallback poll when no notification arrives (a missed NOTIFY, a reconnect). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Longest wait between retries while Kafka or PostgreSQL is failing. */
  maxBackoffMs?: number;
}

export interface OutboxRelay {
  /** Resolves when the relay has drained what was unprocessed when it was called. For tests. */
  drained: () => Promise<void>;
  stop: () => Promise<void>;
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  event_type: string;
  payload: unknown;
  created_at: Date;
  trace_context: string | null;
}

const published = new Counter({
  name: 'outbox_events_published_total',
  help: 'Outbox rows published to Kafka',
  labelNames: ['topic'],
});
const publishFailures = new Counter({
  name: 'outbox_publish_failures_total',
  help: 'Failed outbox publish attempts (the rows stay and are retried)',
});
const lagSeconds = new Histogram({
  name: 'outbox_publish_lag_seconds',
  help: 'Time from the outbox insert to its publication on Kafka',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

/** The pools of the relays running in this process, read by the backlog gauges at scrape time. */
const backlogPools = new Set<Pool>();

interface Backlog {
  rows: number;
  oldestAgeSeconds: number;
}

async function backlog(): Promise<Backlog> {
  let rows = 0;
  let oldestAgeSeconds = 0;
  for (const pool of backlogPools) {
    const { rows: found } = await pool
      .query<{ n: string; age: number | null }>(
        `SELECT count(*) AS n, extract(epoch FROM now() - min(created_at))::float8 AS age
           FROM outbox_events WHERE processed_at IS NULL`,
      )
      .catch(() => ({ rows: [] as { n: string; age: number | null }[] }));
    rows += Number(found[0]?.n ?? 0);
    oldestAgeSeconds = Math.max(oldestAgeSeconds, found[0]?.age ?? 0);
  }
  return { rows, oldestAgeSeconds };
}

/** Registered once per process (Jest loads modules more than once into one registry). */
function backlogGauge(name: string, help: string, value: (b: Backlog) => number): void {
  if (register.getSingleMetric(name)) return;
  new Gauge({
    name,
    help,
    async collect() {
      this.set(value(await backlog()));
    },
  });
}
backlogGauge(
  'outbox_backlog_rows',
  'Outbox rows written but not yet published to Kafka',
  (b) => b.rows,
);
backlogGauge(
  'outbox_oldest_age_seconds',
  'Age of the oldest unpublished outbox row (0 when none waits)',
  (b) => b.oldestAgeSeconds,
);

/**
 * Any number of relays may run against one database; a transaction-scoped advisory lock makes
 * exactly one of them publish at a time. That keeps each event published by one relay and keeps
 * Kafka order equal to outbox order (an order's CONFIRMED before its SHIPPED), which
 * `FOR UPDATE SKIP LOCKED` alone would not. The lock key is an arbitrary constant.
 */
const RELAY_LOCK_KEY = 7_301_274_551;

/**
 * Publishes rows of `outbox_events` (see outbox.sql) to Kafka in id order and marks them
 * processed in the same transaction that selected them. Delivery is at least once: a crash
 * between Kafka's ack and the commit republishes the batch, so consumers dedupe by event id.
 * While Kafka is down the batch rolls back and is retried with backoff; nothing is lost.
 */
export async function startOutboxRelay(options: OutboxRelayOptions): Promise<OutboxRelay> {
  const { logger, kafka } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const batchSize = options.batchSize ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const log = logger.child({ component: 'outbox-relay' });

  const pool = new Pool({ connectionString: options.postgresUrl, max: 2 });
  pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection failed'));
  backlogPools.add(pool);
  // Idempotent producer: a retried send after a lost ack is not written twice to the log. Its
  // retries are bounded (kafkajs warns about that) because the relay has its own outer retry:
  // a send that gives up rolls the batch back, so the worst case is a duplicate that consumers
  // already drop by event id, never a loss.
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let producerConnected = false;

  let stopped = false;
  let wake: (() => void) | undefined;
  let cancelBackoff: (() => void) | undefined;
  let pendingWake = true;
  let drainWaiters: (() => void)[] = [];
  let listener: Client | undefined;

  const signal = () => {
    pendingWake = true;
    wake?.();
  };

  async function listen(): Promise<void> {
    if (stopped || listener) return;
    const client = new Client({ connectionString: options.postgresUrl });
    client.on('notification', signal);
    client.on('error', (err) => {
      log.warn({ err }, 'LISTEN connection lost; falling back to polling until it reconnects');
      if (listener === client) listener = undefined;
      void client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query('LISTEN outbox_events');
      listener = client;
      signal(); // anything inserted while we were not listening
    } catch (err) {
      log.warn({ err }, 'could not LISTEN; polling only for now');
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Publishes one batch; returns how many rows it published (0 when idle or not the leader).
   * Two round trips to PostgreSQL per batch, each a group of statements sent as one simple
   * query (pg returns one result per statement): BEGIN, the lock and the read before the send,
   * the update and COMMIT after it. Sent one by one they were six, and under load each one
   * queued behind the process's other work: most of COMPLETED → event on the topic
   * (docs/performance.md, profile 8). The simple protocol takes no parameters, so what is
   * spliced in is a constant or an id PostgreSQL itself returned, checked to be digits.
   */
  async function publishBatch(): Promise<number> {
    const db = await pool.connect();
    try {
      const [, lock, selected] = (await db.query(
        `BEGIN;
         SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) AS ok;
         SELECT id, topic, message_key, event_type, payload, created_at, trace_context
           FROM outbox_events WHERE processed_at IS NULL ORDER BY id LIMIT ${Number(batchSize)}`,
      )) as unknown as [QueryResult, QueryResult<{ ok: boolean }>, QueryResult<OutboxRow>];
      // Another relay holds the lock: the rows read are its to publish.
      const rows = lock?.rows[0]?.ok ? (selected?.rows ?? []) : [];
      if (rows.length === 0) {
        await db.query('ROLLBACK');
        return 0;
      }
      if (!producerConnected) {
        await producer.connect();
        producerConnected = true;
      }
      const byTopic = new Map<string, OutboxRow[]>();
      for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
      // One span per row in the trace of the transaction that wrote it; its traceparent goes
      // in the headers, so each consumer's processing joins that same trace.
      const publishing = new Map(
        rows.map((row) => [
          row,
          startPublishSpan(row.topic, row.trace_context, {
            'messaging.kafka.message.key': row.message_key,
            'shop.outbox.id': row.id,
            'shop.event.type': row.event_type,
          }),
        ]),
      );
      try {
        await withoutInstrumentation(() =>
          producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, topicRows]) => ({
              topic,
              messages: topicRows.map((row) => ({
                key: row.message_key,
                value: JSON.stringify(row.payload),
                headers: {
                  ...publishing.get(row)?.headers,
                  'event-type': row.event_type,
                  'outbox-id': row.id,
                },
              })),
            })),
          }),
        );
      } catch (err) {
        for (const { span } of publishing.values()) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        throw err;
      } finally {
        for (const { span } of publishing.values()) span.end();
      }
      const ids = rows.map((r) => r.id);
      if (!ids.every((id) => /^\d+$/.test(id))) throw new Error(`unexpected outbox ids: ${ids}`);
      await db.query(
        `UPDATE outbox_events SET processed_at = now() WHERE id IN (${ids.join(',')}); COMMIT`,
      );
      const now = Date.now();
      for (const row of rows) {
        published.inc({ topic: row.topic });
        lagSeconds.observe((now - row.created_at.getTime()) / 1000);
      }
      return rows.length;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  }

  async function hasUnprocessed(): Promise<boolean> {
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM outbox_events WHERE processed_at IS NULL',
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  /**
   * Waits up to `ms`; `register` is handed what ends the wait early (and undefined once it is
   * over): `wake` for the idle wait (a NOTIFY, drained() or stop() ends it), `cancelBackoff` for
   * a retry's backoff (only stop() ends it: a NOTIFY must not undo the backoff). Checking
   * `stopped` and registering happen in one synchronous step, and stop() sets `stopped` before
   * calling either, so a stop() that came during the batch before is seen here instead of
   * sleeping out a poll interval (it once held a test's stop() past its 60 s timeout).
   */
  function sleep(ms: number, register: (cut: (() => void) | undefined) => void): Promise<void> {
    if (stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        register(undefined);
        resolve();
      }
      register(done);
    });
  }

  const loop = (async () => {
    let backoffMs = 100;
    while (!stopped) {
      if (!listener) await listen();
      try {
        pendingWake = false;
        const count = await publishBatch();
        backoffMs = 100;
        if (count > 0) continue; // more may be waiting
        if (drainWaiters.length && !(await hasUnprocessed())) {
          drainWaiters.forEach((resolve) => resolve());
          drainWaiters = [];
        }
        if (pendingWake) continue;
        await sleep(drainWaiters.length ? 50 : pollIntervalMs, (cut) => (wake = cut));
      } catch (err) {
        publishFailures.inc();
        log.warn({ err, retryInMs: backoffMs }, 'outbox publish failed; will retry');
        if (producerConnected) {
          // A fresh connection after an outage beats waiting out kafkajs's stale metadata.
          await producer.disconnect().catch(() => undefined);
          producerConnected = false;
        }
        await sleep(backoffMs, (cut) => (cancelBackoff = cut));
        backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
      }
    }
  })();

  return {
    drained: () =>
      new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        signal();
      }),
    stop: async () => {
      stopped = true;
      wake?.();
      cancelBackoff?.();
      await loop;
      await listener?.end().catch(() => undefined);
      if (producerConnected) await producer.disconnect().catch(() => undefined);
      backlogPools.delete(pool);
      await pool.end();
    },
  };
}
