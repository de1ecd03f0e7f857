import { parseCents } from '@shop/shared';
import type { NewProduct, ProductStore } from './productStore';

/**
 * The demo catalog a fresh database starts with: the original plan's five products first (ids
 * 1–5, the ones the docs and end-to-end tests use), then enough more to page through.
 * Ids are fixed so every machine, test and doc means the same product by "1".
 */
const CATALOG: [name: string, price: string, description: string][] = [
  ['Laptop', '1299.99', '14-inch ultrabook, 16 GB RAM, 512 GB SSD, all-day battery.'],
  ['Mouse', '29.99', 'Wireless optical mouse with silent clicks and a USB-C receiver.'],
  ['Keyboard', '89.99', 'Mechanical keyboard, tenkeyless, hot-swappable brown switches.'],
  ['Monitor', '399.99', '27-inch 1440p IPS monitor, 144 Hz, height-adjustable stand.'],
  ['Headphones', '249.99', 'Over-ear noise-cancelling headphones, 30-hour battery.'],
  ['Webcam', '79.99', '1080p webcam with dual microphones and a privacy shutter.'],
  ['USB-C Hub', '49.99', '7-in-1 hub: HDMI 4K, 3 × USB-A, SD and microSD, 100 W pass-through.'],
  ['External SSD', '119.99', '1 TB portable SSD, USB 3.2 Gen 2, up to 1050 MB/s.'],
  ['Desk Lamp', '39.99', 'LED desk lamp with adjustable colour temperature and a USB port.'],
  ['Laptop Stand', '34.99', 'Aluminium stand that raises a laptop to eye level; folds flat.'],
  ['Microphone', '129.99', 'USB condenser microphone with a cardioid pattern and mute button.'],
  ['Graphics Tablet', '69.99', '10 × 6 inch pen tablet with 8192 pressure levels.'],
  ['Wireless Charger', '24.99', '15 W Qi charging pad with a non-slip surface.'],
  ['Smartwatch', '199.99', 'Fitness smartwatch with GPS, heart-rate sensor and 7-day battery.'],
  ['Bluetooth Speaker', '59.99', 'Waterproof portable speaker, 12 hours of playback.'],
  ['Ergonomic Chair', '349.99', 'Mesh office chair with lumbar support and 4D armrests.'],
  ['Standing Desk', '499.99', 'Electric sit-stand desk, 140 × 70 cm, memory presets.'],
  ['Router', '149.99', 'Wi-Fi 6 dual-band router covering up to 200 m².'],
  ['Power Bank', '44.99', '20000 mAh power bank with 65 W USB-C output.'],
  ['Earbuds', '99.99', 'True wireless earbuds with active noise cancellation.'],
  ['Tablet', '329.99', '10.9-inch tablet, 64 GB, works with a stylus.'],
  ['E-Reader', '139.99', '6.8-inch glare-free e-ink reader with adjustable warm light.'],
  ['Action Camera', '279.99', '4K60 action camera, waterproof to 10 m without a case.'],
  ['Gaming Controller', '64.99', 'Wireless controller for PC and mobile, 40-hour battery.'],
  ['HDMI Cable', '12.99', '2 m HDMI 2.1 cable, 8K60 / 4K120, braided.'],
  ['Mouse Pad', '14.99', 'Extended cloth mouse pad, 90 × 40 cm, stitched edges.'],
  ['Docking Station', '229.99', 'Thunderbolt 4 dock with two 4K outputs and 2.5 GbE.'],
  ['Surge Protector', '29.99', '8-outlet surge protector with 4 USB ports, 2 m cord.'],
  ['Portable Monitor', '189.99', '15.6-inch 1080p portable monitor powered over USB-C.'],
  ['Noise Machine', '49.99', 'White-noise machine with 20 sounds and a sleep timer.'],
];

export const SEED_PRODUCTS: readonly NewProduct[] = CATALOG.map(
  ([name, price, description], i) => ({
    id: i + 1,
    name,
    description,
    priceCents: parseCents(price),
    currency: 'USD',
    imageUrl: `https://picsum.photos/seed/${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}/640/480`,
  }),
);

/**
 * Puts every seed product whose id is free into the catalog and leaves existing rows alone
 * (a price changed since is kept), so running it at every start is harmless.
 */
export function seedCatalog(store: ProductStore): Promise<number> {
  return store.insertMissing(SEED_PRODUCTS);
}
