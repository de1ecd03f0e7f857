/**
 * Redis cache of carts (cache-aside), key `cart:{userId}` (a guest cart's owner key is
 * `guest:<sha256 of its token>`, so `cart:guest:…`), a hash { v: version, d: cart JSON }.
 *
 * Invariant: the cache never goes back to an older cart. Every write goes through one Lua script
 * that stores a cart only when its version is newer than what the key holds, so a slow reader
 * that read version n from MongoDB cannot overwrite the version n + 1 a writer has just stored
 * (read-your-writes even when the slow read finishes after the write). A "tombstone" is the hash
 * with only `v`: it holds no cart but still refuses anything older.
 *
 * Redis is optional: every call is bounded (ioredis commandTimeout, no offline queue, an opossum
 * breaker that skips Redis for a while after repeated failures), failures are logged and
 * counted, and never reach the shopper. The one failure that could make a read stale, a writer
 * unable to store its new version, is remembered: that key bypasses the cache in this process
 * until a tombstone with the new version lands (retried in the background).
 */
import CircuitBreaker from 'opossum';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { expiresAt, GUEST_CART_RETENTION_MS, type Cart } from '../domain/cart';
import { retentionPolicy, type RetentionPolicy } from '../domain/guestToken';
import { cacheLookups, cacheWrites } from '../metrics';

export type CacheLookup = { status: 'hit'; cart: Cart } | { status: 'miss' } | { status: 'bypass' };

export interface CartCache {
  get(userId: string): Promise<CacheLookup>;
  /** A reader caching what it read; refused if the cache already holds something newer. */
  fill(cart: Cart): Promise<void>;
  /** A writer caching the version it has just written to MongoDB. */
  store(cart: Cart): Promise<void>;
  close(): Promise<void>;
}

export const cacheKey = (userId: string) => `cart:${userId}`;

/** For CART_CACHE_ENABLED=false: every read goes to MongoDB. */
export class DisabledCartCache implements CartCache {
  async get(): Promise<CacheLookup> {
    return { status: 'bypass' };
  }
  async fill(): Promise<void> {}
  async store(): Promise<void> {}
  async close(): Promise<void> {}
}

// KEYS[1] = cart key; ARGV[1] = version; ARGV[2] = cart JSON, or '' for a tombstone;
// ARGV[3] = TTL in ms. Returns 1 when written, 0 when refused as not newer.
const PUT_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'v')
if current then
  local cv = tonumber(current)
  local nv = tonumber(ARGV[1])
  if cv > nv then return 0 end
  if cv == nv and (ARGV[2] == '' or redis.call('HEXISTS', KEYS[1], 'd') == 1) then return 0 end
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'd')
  redis.call('HSET', KEYS[1], 'v', ARGV[1])
else
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

type PutIfNewer = (key: string, version: number, payload: string, ttlMs: number) => Promise<number>;

export interface RedisCartCacheOptions {
  url: string;
  logger: Logger;
  /** Budget of one Redis command; past it the read goes to MongoDB. */
  commandTimeoutMs: number;
  /** 15 minutes plus up to 5 minutes of jitter, so carts cached together do not expire together. */
  ttlMs?: number;
  jitterMs?: number;
  /** How long the breaker skips Redis after it opened before trying again. */
  breakerResetMs?: number;
  /** How often keys whose write-through failed are retried. */
  repairIntervalMs?: number;
  now?: () => Date;
  random?: () => number;
  /** How long carts live, so a cached cart never outlives its own expiry. */
  retention?: RetentionPolicy;
}

interface SerializedCart {
  userId: string;
  version: number;
  lines: { productId: string; quantity: number; addedAt: string }[];
  updatedAt: string | null;
}

export class RedisCartCache implements CartCache {
  readonly redis: Redis;
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private readonly putIfNewer: PutIfNewer;
  /** userId → version a writer could not store; reads of it skip Redis until repaired. */
  private readonly awaitingRepair = new Map<string, number>();
  private readonly repairTimer: NodeJS.Timeout;
  private readonly logger: Logger;
  private readonly ttlMs: number;
  private readonly jitterMs: number;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly retention: RetentionPolicy;
  private connected = false;
  private repairing = false;

  constructor(options: RedisCartCacheOptions) {
    this.logger = options.logger.child({ component: 'cartCache' });
    this.ttlMs = options.ttlMs ?? 15 * 60_000;
    this.jitterMs = options.jitterMs ?? 5 * 60_000;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.retention = options.retention ?? retentionPolicy(GUEST_CART_RETENTION_MS);
    this.redis = new Redis(options.url, {
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: 1000,
      // Fail at once while disconnected instead of queueing: a queued read is a slow read.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    this.redis.on('ready', () => {
      if (!this.connected) this.logger.info('redis connected; cart cache in use');
      this.connected = true;
    });
    this.redis.on('error', (err) => {
      // ioredis emits one error per reconnect attempt; log the transition, not every attempt.
      if (this.connected)
        this.logger.warn({ err: err.message }, 'redis unreachable; carts are read from MongoDB');
      this.connected = false;
    });
    this.redis.defineCommand('cartPutIfNewer', { numberOfKeys: 1, lua: PUT_IF_NEWER });
    this.putIfNewer = (
      this.redis as unknown as Record<'cartPutIfNewer', PutIfNewer>
    ).cartPutIfNewer.bind(this.redis);

    this.breaker = new CircuitBreaker((op: () => Promise<unknown>) => op(), {
      name: 'redis-cart-cache',
      // ioredis bounds each command; this bounds a call (EVALSHA may fall back to EVAL).
      timeout: options.commandTimeoutMs * 3,
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      rollingCountTimeout: 10_000,
      resetTimeout: options.breakerResetMs ?? 5000,
    });
    this.breaker.on('open', () => this.logger.warn('redis breaker open: skipping the cart cache'));
    this.breaker.on('halfOpen', () =>
      this.logger.info('redis breaker half-open: trying the cache'),
    );
    this.breaker.on('close', () => this.logger.info('redis breaker closed: cart cache in use'));

    this.repairTimer = setInterval(() => void this.repair(), options.repairIntervalMs ?? 1000);
    this.repairTimer.unref();
  }

  /**
   * Resolves once Redis is connected, or after `timeoutMs` regardless: the service starts
   * without Redis (reads go to MongoDB) and picks it up when it comes.
   */
  async waitForConnection(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.once('ready', onReady);
    });
  }

  async get(userId: string): Promise<CacheLookup> {
    if (this.awaitingRepair.has(userId) || this.breaker.opened) {
      cacheLookups.inc({ result: 'bypass' });
      return { status: 'bypass' };
    }
    try {
      const [payload] = (await this.breaker.fire(() =>
        this.redis.hmget(cacheKey(userId), 'd'),
      )) as (string | null)[];
      if (!payload) {
        cacheLookups.inc({ result: 'miss' });
        return { status: 'miss' };
      }
      cacheLookups.inc({ result: 'hit' });
      return { status: 'hit', cart: deserialize(payload) };
    } catch (err) {
      this.failed(err, 'cache read failed');
      cacheLookups.inc({ result: 'error' });
      return { status: 'bypass' };
    }
  }

  async fill(cart: Cart): Promise<void> {
    if (this.awaitingRepair.has(cart.userId)) return;
    const ttl = this.ttlFor(cart);
    if (ttl <= 0) return;
    try {
      const written = await this.put(cart.userId, cart.version, serialize(cart), ttl);
      cacheWrites.inc({ kind: 'fill', result: written ? 'ok' : 'stale' });
    } catch (err) {
      // A fill that failed (or lands late) can do no harm: it never replaces a newer version.
      cacheWrites.inc({ kind: 'fill', result: 'error' });
      this.failed(err, 'cache fill failed');
    }
  }

  async store(cart: Cart): Promise<void> {
    const ttl = this.ttlFor(cart);
    try {
      const written = ttl > 0 && (await this.put(cart.userId, cart.version, serialize(cart), ttl));
      cacheWrites.inc({ kind: 'store', result: written ? 'ok' : 'stale' });
      this.repaired(cart.userId, cart.version);
    } catch (err) {
      cacheWrites.inc({ kind: 'store', result: 'error' });
      this.failed(err, 'cache write-through failed; the key bypasses the cache until repaired');
      const pending = this.awaitingRepair.get(cart.userId) ?? 0;
      this.awaitingRepair.set(cart.userId, Math.max(pending, cart.version));
    }
  }

  /** Keys whose new version could not be stored: tombstone them so older carts are refused. */
  private async repair(): Promise<void> {
    if (this.repairing) return; // a long round must not overlap the next tick
    this.repairing = true;
    try {
      for (const [userId, version] of [...this.awaitingRepair]) {
        if (this.breaker.opened) return;
        try {
          const written = await this.put(userId, version, '', this.ttlMs + this.jitterMs);
          cacheWrites.inc({ kind: 'tombstone', result: written ? 'ok' : 'stale' });
          this.repaired(userId, version);
        } catch (err) {
          cacheWrites.inc({ kind: 'tombstone', result: 'error' });
          this.failed(err, 'cache repair failed; will retry');
          return;
        }
      }
    } finally {
      this.repairing = false;
    }
  }

  /** How many keys wait for a repair; for tests and the logs. */
  get pendingRepairs(): number {
    return this.awaitingRepair.size;
  }

  async close(): Promise<void> {
    clearInterval(this.repairTimer);
    this.breaker.shutdown();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async put(userId: string, version: number, payload: string, ttlMs: number) {
    const result = await this.breaker.fire(() =>
      this.putIfNewer(cacheKey(userId), version, payload, Math.ceil(ttlMs)),
    );
    return result === 1;
  }

  private repaired(userId: string, version: number): void {
    const pending = this.awaitingRepair.get(userId);
    if (pending !== undefined && pending <= version) this.awaitingRepair.delete(userId);
  }

  /**
   * TTL with jitter, but never past the cart's own expiry: a cached cart must not outlive the
   * MongoDB documents, whose versions start again from 1 once the cart is deleted.
   */
  private ttlFor(cart: Cart): number {
    const ttl = this.ttlMs + this.random() * this.jitterMs;
    const expiry = expiresAt(cart, this.retention(cart.userId));
    return expiry ? Math.min(ttl, expiry.getTime() - this.now().getTime()) : ttl;
  }

  private failed(err: unknown, message: string): void {
    // The open breaker rejecting a call is the breaker doing its job, not a new failure.
    if ((err as { code?: string }).code === 'EOPENBREAKER') return;
    this.logger.warn({ err: err instanceof Error ? err.message : err }, message);
  }
}

function serialize(cart: Cart): string {
  const value: SerializedCart = {
    userId: cart.userId,
    version: cart.version,
    lines: cart.lines.map((l) => ({
      productId: l.productId,
      quantity: l.quantity,
      addedAt: l.addedAt.toISOString(),
    })),
    updatedAt: cart.updatedAt?.toISOString() ?? null,
  };
  return JSON.stringify(value);
}

function deserialize(payload: string): Cart {
  const value = JSON.parse(payload) as SerializedCart;
  return {
    userId: value.userId,
    version: value.version,
    lines: value.lines.map((l) => ({ ...l, addedAt: new Date(l.addedAt) })),
    updatedAt: value.updatedAt ? new Date(value.updatedAt) : null,
  };
}
