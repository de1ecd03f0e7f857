import type { Admin, Kafka } from 'kafkajs';
import { Gauge, register } from 'prom-client';

interface LagSource {
  admin: Admin;
  groupId: string;
  topic: string;
}

const sources = new Set<LagSource>();
/** A scrape must not hang on a broker outage: past this the gauge keeps no value for it. */
const LAG_QUERY_TIMEOUT_MS = 2000;

async function lagOf({ admin, groupId, topic }: LagSource) {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committedByPartition = new Map(
    (committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]),
  );
  return ends.map(({ partition, high }) => {
    const done = committedByPartition.get(partition) ?? -1n;
    // -1 = nothing committed yet: a new group starts from the beginning (settledConsumer).
    const lag = done < 0n ? BigInt(high) : BigInt(high) - done;
    return { partition, lag: Number(lag > 0n ? lag : 0n) };
  });
}

/**
 * `kafka_consumer_lag{group,topic,partition}`: messages on the partition past the group's
 * committed offset, read from the broker at scrape time (admin API), so it is true even while
 * the consumer is stuck or down, which a consumer-side counter would not be.
 */
export const consumerLag =
  (register.getSingleMetric('kafka_consumer_lag') as Gauge | undefined) ??
  new Gauge({
    name: 'kafka_consumer_lag',
    help: 'Messages not yet committed by the consumer group, per partition',
    labelNames: ['group', 'topic', 'partition'],
    async collect() {
      this.reset();
      await Promise.all(
        [...sources].map(async (source) => {
          const timeout = new Promise<never>((_, reject) =>
            setTimeout(
              () => reject(new Error('lag query timed out')),
              LAG_QUERY_TIMEOUT_MS,
            ).unref(),
          );
          const lags = await Promise.race([lagOf(source), timeout]).catch(() => []);
          for (const { partition, lag } of lags) {
            this.set(
              { group: source.groupId, topic: source.topic, partition: String(partition) },
              lag,
            );
          }
        }),
      );
    },
  });

/** Reports the lag of `groupId` on `topic` until the returned function is called. */
export async function trackConsumerLag(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<() => Promise<void>> {
  const admin = kafka.admin();
  await admin.connect();
  const source = { admin, groupId, topic };
  sources.add(source);
  return async () => {
    sources.delete(source);
    await admin.disconnect().catch(() => undefined);
  };
}
