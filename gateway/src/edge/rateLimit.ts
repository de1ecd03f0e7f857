import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode, type Logger, type Viewer } from '@shop/shared';
import { edgeMetrics } from './metrics';

export interface RateLimitSettings {
  redisUrl: string;
  prefix: string;
  points: number;
  windowSeconds: number;
  checkoutPoints: number;
  checkoutWindowSeconds: number;
}

/** Who pays: a signed-in user by `sub` (wherever they connect from), anyone else by IP. */
export function budgetKey(viewer: Viewer | undefined, clientIp: string): string {
  return viewer ? `user:${viewer.userId}` : `ip:${clientIp}`;
}

/**
 * Budgets kept in Redis with rate-limiter-flexible, so every gateway instance draws on the
 * same ones. One budget in cost units for every operation; a second, in calls, for
 * `checkout`, which is worth far more to abuse than its estimated cost says.
 *
 * Redis unreachable = fail open: the request is served, the outage logged (at most once per
 * window) and counted in gateway_rate_limiter_unavailable_total. A shop would rather serve
 * without limits for a while than refuse everyone while Redis restarts.
 */
export class RateLimiter {
  private readonly redis: Redis;
  private readonly operations: RateLimiterRedis;
  private readonly checkouts: RateLimiterRedis;
  private lastOutageLog = 0;

  constructor(
    settings: RateLimitSettings,
    private readonly logger: Logger,
  ) {
    // No offline queue and no retries: a down Redis must fail a check at once, not hold the
    // request while ioredis reconnects in the background.
    this.redis = new Redis(settings.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: false,
    });
    this.redis.on('error', () => undefined); // reported per request below, not per reconnect
    this.operations = new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${settings.prefix}:ops`,
      points: settings.points,
      duration: settings.windowSeconds,
    });
    this.checkouts = new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${settings.prefix}:checkout`,
      points: settings.checkoutPoints,
      duration: settings.checkoutWindowSeconds,
    });
  }

  /**
   * Resolves once Redis is connected, or after `timeoutMs` when it is not (the gateway then
   * starts failing open, and ioredis keeps reconnecting in the background).
   */
  async connected(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        this.logger.warn('rate limiter: Redis not reachable at start; serving without limits');
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  /** Charges `cost` (at least 1) to `key`, plus one checkout when `checkout`; throws RATE_LIMITED. */
  async charge(key: string, cost: number, checkout: boolean): Promise<void> {
    try {
      if (checkout) await this.checkouts.consume(key, 1);
      await this.operations.consume(key, Math.max(1, cost));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw rateLimited(err, checkout);
      edgeMetrics.rateLimiterUnavailable.inc();
      if (Date.now() - this.lastOutageLog > 10_000) {
        this.lastOutageLog = Date.now();
        this.logger.warn({ err }, 'rate limiter unavailable (Redis); serving without limits');
      }
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

function rateLimited(res: RateLimiterRes, checkout: boolean): GraphQLError {
  const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  const what = checkout ? 'checkout attempts' : 'requests';
  return new GraphQLError(`Too many ${what}; try again in ${retryAfter} s.`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED,
      retryAfter,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfter)]]) },
    },
  });
}
