/**
 * The inventory stub does not read the product database (each service owns its data), so the
 * stock it starts with comes from INVENTORY_SEED:
 *
 *   INVENTORY_SEED="1-50=100;3=10;sku-x=0"
 *
 * Entries are separated by ";". Each is `<ids>=<units>`, where <ids> is one product id or an
 * inclusive numeric range `first-last` (only when both ends are digits, so an id such as
 * "sku-x" stays one id). Later entries override earlier ones. An empty value stocks nothing.
 */
// The demo catalog is ids 1–240 (subgraphs/product/src/data/seedCatalog.ts): all stocked but the
// last 20, which are sold out so `products(filter: { inStock })` has something to leave out.
export const DEFAULT_INVENTORY_SEED = '1-220=100;221-240=0';

/** A range bigger than this is almost certainly a typo (1-100000 instead of 1-100). */
const MAX_RANGE = 10_000;

export type StockSeed = ReadonlyMap<string, number>;

export type SeedParseResult = { ok: true; seed: StockSeed } | { ok: false; problems: string[] };

export function parseStockSeed(text: string): SeedParseResult {
  const seed = new Map<string, number>();
  const problems: string[] = [];
  const entries = text
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const entry of entries) {
    const match = /^([^=\s]+)\s*=\s*(\d+)$/.exec(entry);
    if (!match) {
      problems.push(`"${entry}" is not <product id or first-last>=<units>`);
      continue;
    }
    const [, ids = '', unitsText = ''] = match;
    const units = Number(unitsText);
    if (!Number.isSafeInteger(units) || units > 2_147_483_647) {
      problems.push(`"${entry}": units must fit a 32-bit integer`);
      continue;
    }
    const range = /^(\d+)-(\d+)$/.exec(ids);
    if (!range) {
      seed.set(ids, units);
      continue;
    }
    const first = Number(range[1]);
    const last = Number(range[2]);
    if (first > last || last - first >= MAX_RANGE) {
      problems.push(`"${entry}": range must run upwards and hold at most ${MAX_RANGE} ids`);
      continue;
    }
    for (let id = first; id <= last; id++) seed.set(String(id), units);
  }
  return problems.length ? { ok: false, problems } : { ok: true, seed };
}
