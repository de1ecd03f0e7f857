import { z } from 'zod';
import { loadConfig } from '@shop/shared';
import {
  blankAsUnset,
  stubListenConfig,
  stubListenShape,
  type StubListenConfig,
} from '../runtime/config';
import { DEFAULT_INVENTORY_SEED, parseStockSeed, type StockSeed } from './stockSeed';

/** Every variable of the inventory stub; code reads the camelCase InventoryConfig below. */
const shape = {
  ...stubListenShape(50053),
  /** How long a reservation holds stock before it expires and gives it back (5 min). */
  RESERVATION_TTL_MS: blankAsUnset(z.coerce.number().int().min(1).default(300_000)),
  /** How often expired reservations are swept; every call also expires what is due first. */
  RESERVATION_SWEEP_INTERVAL_MS: blankAsUnset(z.coerce.number().int().min(1).default(1_000)),
  /** Stock at start; grammar in stockSeed.ts, e.g. "1-50=100;3=10". */
  INVENTORY_SEED: z
    .string()
    .default(DEFAULT_INVENTORY_SEED)
    .transform((text, ctx) => {
      const parsed = parseStockSeed(text);
      if (parsed.ok) return parsed.seed;
      for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }),
};

export interface InventoryConfig extends StubListenConfig {
  /** Stock at start (INVENTORY_SEED), by product id. */
  seed: StockSeed;
  reservationTtlMs: number;
  reservationSweepIntervalMs: number;
}

/** Reads and validates the inventory stub's variables; throws ConfigError naming each bad one. */
export function loadInventoryConfig(environment: NodeJS.ProcessEnv = process.env): InventoryConfig {
  const c = loadConfig(shape, environment);
  return {
    ...stubListenConfig(c),
    seed: c.INVENTORY_SEED,
    reservationTtlMs: c.RESERVATION_TTL_MS,
    reservationSweepIntervalMs: c.RESERVATION_SWEEP_INTERVAL_MS,
  };
}
