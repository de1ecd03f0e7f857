import { ConfigError } from '@shop/shared';
import { loadInventoryConfig } from './config';
import { parseStockSeed } from './stockSeed';

describe('INVENTORY_SEED', () => {
  it('covers the demo catalog by default: 1 to 220 with 100 units, 221 to 240 sold out', () => {
    const config = loadInventoryConfig({});
    expect(config.seed.size).toBe(240);
    expect(config.seed.get('1')).toBe(100);
    expect(config.seed.get('220')).toBe(100);
    expect(config.seed.get('221')).toBe(0);
    expect(config.seed.get('240')).toBe(0);
    expect(config.seed.has('241')).toBe(false);
  });

  it('lets later entries override earlier ones and keeps ids with dashes whole', () => {
    const parsed = parseStockSeed(' 1-3=100 ; 2=10; sku-x=0 ');
    expect(parsed).toEqual({
      ok: true,
      seed: new Map([
        ['1', 100],
        ['2', 10],
        ['3', 100],
        ['sku-x', 0],
      ]),
    });
  });

  it('stocks nothing when empty', () => {
    expect(parseStockSeed('')).toEqual({ ok: true, seed: new Map() });
  });

  it.each([
    ['a missing quantity', '1='],
    ['a negative quantity', '1=-5'],
    ['a fractional quantity', '1=2.5'],
    ['a backwards range', '9-3=1'],
    ['a runaway range', '1-1000000=1'],
    ['no equals sign', '100'],
  ])('refuses %s, naming the variable and the entry', (_what, value) => {
    let error: unknown;
    try {
      loadInventoryConfig({ INVENTORY_SEED: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(new RegExp(`^INVENTORY_SEED: .*${escape(value.split('=')[0] ?? '')}`)),
    ]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
