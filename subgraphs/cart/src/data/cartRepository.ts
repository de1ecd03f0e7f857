/**
 * Carts as the resolvers and the gRPC service use them: reads through the cache, changes as
 * compare-and-set on MongoDB followed by a write-through to the cache.
 *
 * Reads: concurrent reads of one cart share one flight (cache lookup, then at most one MongoDB
 * read, then a cache fill). Changes: read the newest version from MongoDB (never from the cache:
 * MongoDB is the authority on what a change builds on), apply a rule from domain/cart, insert the
 * next version; a lost race (another process inserted that version first) retries on top of the
 * winner. Before a change returns, the new version is in the cache (or the key bypasses it, see
 * cartCache) and no read flight started before it can be joined any more: read-your-writes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { badUserInput, conflict, notFound } from '@shop/shared';
import type { Logger } from 'pino';
import {
  addLine,
  emptyCart,
  GUEST_CART_RETENTION_MS,
  isExpired,
  mergeLines,
  removeCheckedOutLines,
  removeLine,
  setLineQuantity,
  type Cart,
  type CartLine,
  type MergeProblem,
} from '../domain/cart';
import {
  isGuestOwner,
  retentionPolicy,
  unknownCartToken,
  type RetentionPolicy,
} from '../domain/guestToken';
import type { CartCache } from './cartCache';
import { APPLIED_CHECKOUTS_KEPT, type CartRecord, type CartStore } from './cartStore';
import { KeyedMutex } from './keyedMutex';
import { Singleflight } from './singleflight';

/** Test seams; production passes none. */
export interface CartRepositoryHooks {
  /** Runs when a read is asked for, before it joins or starts a flight. */
  onRead?: (userId: string) => void;
  /** Runs after a read got its cart from MongoDB and before it fills the cache. */
  beforeCacheFill?: (cart: Cart) => Promise<void>;
  /** Runs before each step of a guest merge after the seal (a test throws here to "crash"). */
  beforeMergeStep?: (step: 'add' | 'delete') => Promise<void>;
}

export interface CartRepositoryOptions {
  store: CartStore;
  cache: CartCache;
  logger: Logger;
  hooks?: CartRepositoryHooks;
  now?: () => Date;
  /** Attempts of one change against concurrent writers in other processes. */
  maxAttempts?: number;
  retention?: RetentionPolicy;
}

/** What a change makes of the newest cart; null when it changes nothing (no write). */
type Edit = (
  current: CartRecord | null,
  lines: readonly CartLine[],
) => {
  lines: CartLine[];
  appliedCheckout?: string;
} | null;

export class CartRepository {
  private readonly reads = new Singleflight<Cart>();
  private readonly writes = new KeyedMutex();
  private readonly store: CartStore;
  private readonly cache: CartCache;
  private readonly logger: Logger;
  private readonly hooks: CartRepositoryHooks;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly retention: RetentionPolicy;

  constructor(options: CartRepositoryOptions) {
    this.store = options.store;
    this.cache = options.cache;
    this.logger = options.logger;
    this.hooks = options.hooks ?? {};
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 25;
    this.retention = options.retention ?? retentionPolicy(GUEST_CART_RETENTION_MS);
  }

  /** The user's cart; empty when there is none or it expired. */
  read(userId: string): Promise<Cart> {
    this.hooks.onRead?.(userId);
    return this.reads.do(userId, async () => {
      const cached = await this.cache.get(userId);
      if (cached.status === 'hit' && !this.expired(userId, cached.cart.updatedAt)) {
        return cached.cart;
      }
      const record = await this.store.latest(userId);
      const cart = this.toCart(userId, record);
      await this.hooks.beforeCacheFill?.(cart);
      // An expired cart is not cached: once the sweep deletes it, versions start again from 1
      // and the cache would refuse them as older than the empty cart it holds.
      const expired = record !== null && this.expired(userId, record.updatedAt);
      if (cached.status !== 'bypass' && !expired) await this.cache.fill(cart);
      return cart;
    });
  }

  /** Straight from MongoDB, for checkout's snapshot: the authority, whatever the cache holds. */
  async readFromStore(userId: string): Promise<Cart> {
    return this.toCart(userId, await this.store.latest(userId));
  }

  /** Writes the first (empty) version of a new guest cart; its updatedAt starts the 30 days. */
  createGuest(owner: string): Promise<Cart> {
    return this.change(owner, (current) => (current ? null : { lines: [] }), { create: true });
  }

  /**
   * Moves a guest cart's lines into the user's cart, then deletes the guest cart. In three
   * steps, each safe to repeat, since MongoDB here (FerretDB) has no multi-document
   * transactions:
   *  1. seal: a new guest version marked `mergedInto: userId`, holding the lines as checked;
   *     from then on every guest operation finds the token unknown, so no line can be added
   *     behind the merge's back (a guest write racing it loses the unique-index race and
   *     retries into "unknown token");
   *  2. add the sealed lines to the user's cart in one version that records `merge:<owner>`
   *     like a checkout id, so a retry after a crash never adds them twice;
   *  3. delete the guest cart's documents.
   * A retry by the same user after a crash finds the seal and resumes at 2. All or nothing:
   * when the rules refuse any line, nothing changes and BAD_USER_INPUT lists every such line.
   */
  async mergeGuest(
    userId: string,
    guestOwner: string,
    missingProducts: (productIds: string[]) => Promise<Set<string>>,
  ): Promise<Cart> {
    const mergeId = `merge:${guestOwner}`;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const guest = await this.store.latest(guestOwner);
      const sealedByMe = guest?.mergedInto === userId;
      if (!guest || !(sealedByMe || this.liveRecord(guest))) {
        throw notFound('This guest cart was already merged or has expired.');
      }
      if (!sealedByMe) {
        // Checked before anything is written, so a refused merge leaves both carts as they were.
        const missing = await missingProducts(guest.items.map((l) => l.productId));
        const mine = await this.store.latest(userId);
        const mineLive = mine && this.liveRecord(mine) ? mine.items : [];
        const { problems } = mergeLines(mineLive, guest.items, this.now(), missing);
        if (problems.length) throw mergeRefused(problems);
        const seal: CartRecord = {
          ...guest,
          version: guest.version + 1,
          updatedAt: this.now(),
          mergedInto: userId,
        };
        if (!(await this.store.insertVersion(seal))) continue; // the guest changed it: check again
        await this.cache.store(this.toCart(guestOwner, seal));
        this.reads.forget(guestOwner);
      }
      await this.hooks.beforeMergeStep?.('add');
      const cart = await this.change(userId, (current, lines) => {
        if (current?.appliedCheckouts.includes(mergeId)) return null;
        const merged = mergeLines(lines, guest.items, this.now());
        // The user's cart changed since the check (another tab): say what no longer fits.
        if (!merged.lines) throw mergeRefused(merged.problems, true);
        return { lines: merged.lines, appliedCheckout: mergeId };
      });
      await this.hooks.beforeMergeStep?.('delete');
      await this.store.deleteCart(guestOwner);
      return cart;
    }
    throw conflict('The guest cart kept changing while it was being merged; try again.');
  }

  addItem(userId: string, productId: string, quantity: number): Promise<Cart> {
    return this.change(userId, (_, lines) => ({
      lines: addLine(lines, productId, quantity, this.now()),
    }));
  }

  setQuantity(userId: string, productId: string, quantity: number): Promise<Cart> {
    return this.change(userId, (_, lines) => ({
      lines: setLineQuantity(lines, productId, quantity),
    }));
  }

  removeItem(userId: string, productId: string): Promise<Cart> {
    return this.change(userId, (_, lines) => {
      const kept = removeLine(lines, productId);
      return kept ? { lines: kept } : null;
    });
  }

  clear(userId: string): Promise<Cart> {
    return this.change(userId, (_, lines) => (lines.length ? { lines: [] } : null));
  }

  /**
   * Removes what checkout `checkoutId` took, once: the id is recorded in the same version
   * document as the removal, so a duplicate call (a retry, a redelivered event) changes nothing
   * and answers applied = false.
   */
  async removeCheckedOut(
    userId: string,
    checkoutId: string,
    checkedOut: readonly { productId: string; quantity: number }[],
  ): Promise<{ cart: Cart; applied: boolean }> {
    let applied = false;
    const cart = await this.change(userId, (current, lines) => {
      applied = !current?.appliedCheckouts.includes(checkoutId);
      if (!applied) return null;
      return { lines: removeCheckedOutLines(lines, checkedOut), appliedCheckout: checkoutId };
    });
    return { cart, applied };
  }

  /**
   * `create`: the change may start a cart from nothing. Without it a guest cart that does not
   * exist, expired or was merged is an unknown token; a user's cart always exists (empty).
   */
  private change(userId: string, edit: Edit, options: { create?: boolean } = {}): Promise<Cart> {
    return this.writes.run(userId, async () => {
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const latest = await this.store.latest(userId);
        const now = this.now();
        // An expired cart is an empty one: the change starts from nothing, but the version
        // keeps counting up so the cache still orders it after what it may hold.
        const live = latest && this.liveRecord(latest) ? latest : null;
        if (!live && isGuestOwner(userId) && !options.create) throw unknownCartToken();
        const outcome = edit(live, live?.items ?? []);
        if (!outcome) return this.toCart(userId, latest);
        const next: CartRecord = {
          userId,
          version: (latest?.version ?? 0) + 1,
          items: outcome.lines,
          createdAt: live?.createdAt ?? now,
          updatedAt: now,
          appliedCheckouts: outcome.appliedCheckout
            ? [...(live?.appliedCheckouts ?? []), outcome.appliedCheckout].slice(
                -APPLIED_CHECKOUTS_KEPT,
              )
            : (live?.appliedCheckouts ?? []),
          ...(isGuestOwner(userId) ? { guest: true as const } : {}),
        };
        if (await this.store.insertVersion(next)) {
          const cart = this.toCart(userId, next);
          await this.cache.store(cart);
          this.reads.forget(userId);
          await this.store.pruneBefore(userId, next.version - 1).catch((err: unknown) => {
            // Harmless: old versions are never read and expire with the cart.
            this.logger.warn({ err, userId }, 'could not prune old cart versions');
          });
          return cart;
        }
        // Another process wrote this version first: build on top of its change instead.
        await sleep(Math.random() * Math.min(2 ** attempt, 50));
      }
      throw conflict(
        'Your cart is being changed by many requests at once and this change could not be ' +
          'applied; try again.',
      );
    });
  }

  private toCart(userId: string, record: CartRecord | null): Cart {
    if (!record) return emptyCart(userId);
    if (!this.liveRecord(record)) return emptyCart(userId, record.version);
    return {
      userId,
      version: record.version,
      lines: [...record.items].sort(
        (a, b) =>
          a.addedAt.getTime() - b.addedAt.getTime() || a.productId.localeCompare(b.productId),
      ),
      updatedAt: record.updatedAt,
    };
  }

  private expired(owner: string, updatedAt: Date | null): boolean {
    return isExpired(updatedAt, this.now(), this.retention(owner));
  }

  /** Neither expired nor merged away. */
  private liveRecord(record: CartRecord): boolean {
    return !record.mergedInto && !this.expired(record.userId, record.updatedAt);
  }
}

function mergeRefused(problems: MergeProblem[], sealed = false): Error {
  const list = problems.map((p) => `${p.productId}: ${p.reason}`).join('; ');
  return badUserInput(
    `Nothing was merged: ${problems.length} guest cart line(s) do not fit the rules (${list}). ` +
      (sealed
        ? 'Your cart changed during the merge; make room in it, then call mergeGuestCart again.'
        : 'Remove or reduce them in the guest cart (X-Cart-Token) or in your cart, then call ' +
          'mergeGuestCart again.'),
    { rule: 'MERGE_GUEST_CART', problems },
  );
}
