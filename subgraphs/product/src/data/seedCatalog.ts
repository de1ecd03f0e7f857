import { parseCents } from '@shop/shared';
import type { NewProduct, ProductStore } from './productStore';

/** The shelves of the demo catalog; ids fixed like the products' (1 also exists from the migration). */
export const SEED_CATEGORIES: readonly { id: number; name: string }[] = [
  { id: 1, name: 'Computers & Accessories' },
  { id: 2, name: 'Audio' },
  { id: 3, name: 'Displays' },
  { id: 4, name: 'Office' },
  { id: 5, name: 'Mobile & Wearables' },
  { id: 6, name: 'Cameras' },
  { id: 7, name: 'Gaming' },
  { id: 8, name: 'Home' },
];

/**
 * The demo catalog a fresh database starts with: the original plan's five products first (ids
 * 1–5, the ones the docs and end-to-end tests use), then 30 hand-written ones, then generated
 * variants up to SEED_PRODUCT_COUNT. Ids are fixed so every machine, test and doc means the
 * same product by "1".
 */
const CURATED: [name: string, price: string, description: string, categoryId: number][] = [
  ['Laptop', '1299.99', '14-inch ultrabook, 16 GB RAM, 512 GB SSD, all-day battery.', 1],
  ['Mouse', '29.99', 'Wireless optical mouse with silent clicks and a USB-C receiver.', 1],
  ['Keyboard', '89.99', 'Mechanical keyboard, tenkeyless, hot-swappable brown switches.', 1],
  ['Monitor', '399.99', '27-inch 1440p IPS monitor, 144 Hz, height-adjustable stand.', 3],
  ['Headphones', '249.99', 'Over-ear noise-cancelling headphones, 30-hour battery.', 2],
  ['Webcam', '79.99', '1080p webcam with dual microphones and a privacy shutter.', 6],
  ['USB-C Hub', '49.99', '7-in-1 hub: HDMI 4K, 3 × USB-A, SD and microSD, 100 W pass-through.', 1],
  ['External SSD', '119.99', '1 TB portable SSD, USB 3.2 Gen 2, up to 1050 MB/s.', 1],
  ['Desk Lamp', '39.99', 'LED desk lamp with adjustable colour temperature and a USB port.', 4],
  ['Laptop Stand', '34.99', 'Aluminium stand that raises a laptop to eye level; folds flat.', 4],
  ['Microphone', '129.99', 'USB condenser microphone with a cardioid pattern and mute button.', 2],
  ['Graphics Tablet', '69.99', '10 × 6 inch pen tablet with 8192 pressure levels.', 1],
  ['Wireless Charger', '24.99', '15 W Qi charging pad with a non-slip surface.', 5],
  ['Smartwatch', '199.99', 'Fitness smartwatch with GPS, heart-rate sensor and 7-day battery.', 5],
  ['Bluetooth Speaker', '59.99', 'Waterproof portable speaker, 12 hours of playback.', 2],
  ['Ergonomic Chair', '349.99', 'Mesh office chair with lumbar support and 4D armrests.', 4],
  ['Standing Desk', '499.99', 'Electric sit-stand desk, 140 × 70 cm, memory presets.', 4],
  ['Router', '149.99', 'Wi-Fi 6 dual-band router covering up to 200 m².', 1],
  ['Power Bank', '44.99', '20000 mAh power bank with 65 W USB-C output.', 5],
  ['Earbuds', '99.99', 'True wireless earbuds with active noise cancellation.', 2],
  ['Tablet', '329.99', '10.9-inch tablet, 64 GB, works with a stylus.', 5],
  ['E-Reader', '139.99', '6.8-inch glare-free e-ink reader with adjustable warm light.', 5],
  ['Action Camera', '279.99', '4K60 action camera, waterproof to 10 m without a case.', 6],
  ['Gaming Controller', '64.99', 'Wireless controller for PC and mobile, 40-hour battery.', 7],
  ['HDMI Cable', '12.99', '2 m HDMI 2.1 cable, 8K60 / 4K120, braided.', 3],
  ['Mouse Pad', '14.99', 'Extended cloth mouse pad, 90 × 40 cm, stitched edges.', 7],
  ['Docking Station', '229.99', 'Thunderbolt 4 dock with two 4K outputs and 2.5 GbE.', 1],
  ['Surge Protector', '29.99', '8-outlet surge protector with 4 USB ports, 2 m cord.', 4],
  ['Portable Monitor', '189.99', '15.6-inch 1080p portable monitor powered over USB-C.', 3],
  ['Noise Machine', '49.99', 'White-noise machine with 20 sounds and a sleep timer.', 8],
];

/** How many products the seed holds; the inventory stub's default INVENTORY_SEED covers them. */
export const SEED_PRODUCT_COUNT = 240;

/**
 * The generated part: every curated product again in a few editions, with prices from a short
 * list. Deterministic (no randomness), and deliberately full of ties: the same name in several
 * editions ("Mouse" Pro/Lite…) and many equal prices, so every sort's tie-break is exercised.
 */
// Six editions for seven rounds: the last round repeats the first's names ("Laptop Pro" twice).
const EDITIONS = ['Pro', 'Lite', 'Max', 'Mini', 'Plus', 'Go'];
const TIE_PRICES = ['19.99', '29.99', '49.99', '99.99', '149.99', '29.99', '19.99'];

function generated(n: number): [string, string, string, number] {
  const base = CURATED[n % CURATED.length]!;
  const edition = EDITIONS[Math.floor(n / CURATED.length) % EDITIONS.length]!;
  return [
    `${base[0]} ${edition}`,
    TIE_PRICES[n % TIE_PRICES.length]!,
    `${edition} edition. ${base[2]}`,
    base[3],
  ];
}

const CATALOG = [
  ...CURATED,
  ...Array.from({ length: SEED_PRODUCT_COUNT - CURATED.length }, (_, n) => generated(n)),
];

export const SEED_PRODUCTS: readonly NewProduct[] = CATALOG.map(
  ([name, price, description, categoryId], i) => ({
    id: i + 1,
    name,
    description,
    priceCents: parseCents(price),
    currency: 'USD',
    imageUrl: `https://picsum.photos/seed/${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}/640/480`,
    categoryId,
  }),
);

/**
 * Puts every seed product whose id is free into the catalog and leaves existing rows alone
 * (a price changed since is kept), so running it at every start is harmless.
 */
export async function seedCatalog(store: ProductStore): Promise<number> {
  await store.insertMissingCategories(SEED_CATEGORIES);
  return store.insertMissing(SEED_PRODUCTS);
}
