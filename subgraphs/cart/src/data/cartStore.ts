/**
 * MongoDB access for carts. A cart is a chain of immutable versions, one document each:
 *
 *   { userId, version, items: [{ productId, quantity, addedAt }], createdAt, updatedAt,
 *     appliedCheckouts: [checkoutId, …] }
 *
 * with a UNIQUE index on { userId, version }. A change reads the latest version n and inserts
 * version n + 1; when two writers race, the unique index lets exactly one insert win and the
 * other retries on top of it (see cartRepository). This is the one compare-and-set that holds on
 * both servers we run on: FerretDB 1.24 executes every update as "read the document, apply the
 * operators in Go, write it back by _id", so concurrent `$inc`s lose increments and a
 * `{ _id, version }` guard lets several writers win (measured: 20 parallel `$inc` of one field
 * gave 15–19; 8 of 50 rounds of racing version-guarded updates had two winners), while its unique
 * indexes are PostgreSQL unique indexes. On MongoDB 7 the same inserts are atomic too.
 * Old versions are pruned after each write; the TTL index (or the sweep where the server has no
 * TTL indexes) deletes carts untouched for 90 days.
 */
import type { Collection, Db } from 'mongodb';
import { MongoServerError } from 'mongodb';
import type { Logger } from 'pino';
import { CART_RETENTION_MS, type CartLine } from '../domain/cart';

export const CART_COLLECTION = 'cart_versions';
/** How many recent checkout ids a cart remembers to refuse a duplicate RemoveCheckedOutItems. */
export const APPLIED_CHECKOUTS_KEPT = 100;

export interface CartRecord {
  userId: string;
  version: number;
  items: CartLine[];
  createdAt: Date;
  updatedAt: Date;
  appliedCheckouts: string[];
  /** Set on guest carts (X-Cart-Token), which expire sooner; the sweep selects on it. */
  guest?: true;
  /**
   * Set on the last version of a guest cart that was merged into this user's cart: the guest
   * cart is then gone for every guest operation, and a merge that was cut short can finish.
   */
  mergedInto?: string;
}

const DUPLICATE_KEY = 11000;

export class CartStore {
  private readonly carts: Collection<CartRecord>;

  constructor(
    db: Db,
    private readonly logger: Logger,
  ) {
    this.carts = db.collection<CartRecord>(CART_COLLECTION);
  }

  /**
   * Creates the indexes; returns whether the server expires carts by itself (a TTL index).
   * FerretDB refuses TTL indexes (NotImplemented), so there the caller runs the sweep instead.
   */
  async ensureIndexes(): Promise<{ ttl: boolean }> {
    await this.carts.createIndex(
      { userId: 1, version: -1 },
      { unique: true, name: 'user_version' },
    );
    try {
      await this.carts.createIndex(
        { updatedAt: 1 },
        // Guest carts too, but the sweep deletes them sooner (their retention is at most this).
        { expireAfterSeconds: CART_RETENTION_MS / 1000, name: 'updatedAt_ttl' },
      );
      return { ttl: true };
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : err },
        'the MongoDB server refused a TTL index; expired carts are deleted by a periodic sweep instead',
      );
      await this.carts.createIndex({ updatedAt: 1 }, { name: 'updatedAt_1' });
      return { ttl: false };
    }
  }

  /** The newest version of a user's cart, or null when there is none. */
  async latest(userId: string): Promise<CartRecord | null> {
    return this.carts.findOne(
      { userId },
      { sort: { version: -1 }, projection: { _id: 0 } },
    ) as Promise<CartRecord | null>;
  }

  /** Inserts the next version; false when another writer already inserted that version. */
  async insertVersion(record: CartRecord): Promise<boolean> {
    try {
      // Copy: insertOne adds an _id to the object it is given.
      await this.carts.insertOne({ ...record });
      return true;
    } catch (err) {
      if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return false;
      throw err;
    }
  }

  /**
   * Deletes versions older than `keepFrom`. The version just before the newest is kept so a
   * reader that looked up "the newest" an instant before the insert still finds a document.
   */
  async pruneBefore(userId: string, keepFrom: number): Promise<void> {
    await this.carts.deleteMany({ userId, version: { $lt: keepFrom } });
  }

  /** Deletes every version of one kind of cart last changed before `cutoff`; returns how many went. */
  async deleteUpdatedBefore(cutoff: Date, kind: 'user' | 'guest' = 'user'): Promise<number> {
    const result = await this.carts.deleteMany({
      updatedAt: { $lt: cutoff },
      guest: kind === 'guest' ? true : { $ne: true },
    });
    return result.deletedCount;
  }

  /** Deletes a cart with all its versions (a merged guest cart). */
  async deleteCart(userId: string): Promise<void> {
    await this.carts.deleteMany({ userId });
  }

  /**
   * Readiness: reads the collection. `ping` is not enough, FerretDB answers it from a cache
   * while its PostgreSQL is down.
   */
  async ping(): Promise<void> {
    await this.carts.findOne({}, { projection: { _id: 1 } });
  }
}
