import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import type { Logger } from '@shop/shared';
import { edgeMetrics } from './metrics';

export interface ApqCache extends KeyValueCache<string> {
  close(): Promise<void>;
}

/**
 * The automatic-persisted-query cache every gateway instance shares, in Redis through Apollo's
 * own Keyv adapter (@apollo/utils.keyvadapter + @keyv/redis), so a hash registered on one
 * instance is found on the next. Commands fail at once while Redis is away (no offline queue)
 * and the client reconnects in the background.
 *
 * Fail open, hand-written because neither library has it: a cache that is down must not take
 * queries down, so a failed or slow lookup is a miss (the client then sends the full query, the
 * APQ protocol's normal path) and a failed store is skipped; both are logged at most every 10 s
 * and counted in gateway_apq_cache_unavailable_total.
 */
export function redisApqCache(redisUrl: string, namespace: string, logger: Logger): ApqCache {
  const store = new KeyvRedis(
    { url: redisUrl, disableOfflineQueue: true, socket: { connectTimeout: 1000 } },
    { throwOnConnectError: false, throwOnErrors: true },
  );
  const keyv = new Keyv<string>({ store, namespace, useKeyPrefix: false, throwOnErrors: true });
  let lastOutageLog = 0;
  const outage = (err: unknown) => {
    edgeMetrics.apqCacheUnavailable.inc();
    if (Date.now() - lastOutageLog > 10_000) {
      lastOutageLog = Date.now();
      logger.warn({ err }, 'persisted query cache unavailable (Redis); serving without it');
    }
  };
  // Both emit 'error' for connection trouble; unheard, an EventEmitter error would crash us.
  store.on('error', outage);
  keyv.on('error', outage);
  const adapter = new KeyvAdapter<string>(keyv, { disableBatchReads: true });
  const bounded = <T>(work: Promise<T>, fallback: T): Promise<T> =>
    Promise.race([work, new Promise<T>((resolve) => setTimeout(resolve, 500, fallback).unref())]);

  return {
    async get(key) {
      try {
        return await bounded(adapter.get(key), undefined);
      } catch (err) {
        outage(err);
        return undefined;
      }
    },
    async set(key, value, options?: KeyValueCacheSetOptions) {
      try {
        await bounded(adapter.set(key, value, options), undefined);
      } catch (err) {
        outage(err);
      }
    },
    async delete(key) {
      try {
        return await bounded(adapter.delete(key), false);
      } catch (err) {
        outage(err);
        return false;
      }
    },
    async close() {
      await store.disconnect().catch(() => undefined);
    },
  };
}
