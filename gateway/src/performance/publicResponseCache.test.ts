import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { publicResponseCache } from './publicResponseCache';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/** A subgraph that answers with the given Cache-Control, counting its calls. */
function subgraph(cacheControl: string | undefined): { fetcher: Fetcher; calls: () => number } {
  let calls = 0;
  const fetcher = (async () => {
    calls++;
    return new Response(JSON.stringify({ data: { n: calls } }), {
      status: 200,
      headers: cacheControl ? { 'cache-control': cacheControl } : {},
    });
  }) as unknown as Fetcher;
  return { fetcher, calls: () => calls };
}

const QUERY = { method: 'POST', body: JSON.stringify({ query: '{ product(id: "1") { id } }' }) };
const ask = async (fetcher: Fetcher) =>
  (await (await fetcher('http://product', QUERY)).json()) as unknown;

describe('public response cache follows the subgraph’s Cache-Control', () => {
  test('an answer sent as public with a max-age is reused for the TTL', async () => {
    const inner = subgraph('max-age=60, public');
    let clock = 0;
    const cached = publicResponseCache(inner.fetcher, {
      ttlMs: 1000,
      maxEntries: 10,
      now: () => clock,
    });
    expect(await ask(cached)).toEqual({ data: { n: 1 } });
    clock = 999;
    expect(await ask(cached)).toEqual({ data: { n: 1 } });
    clock = 1000;
    expect(await ask(cached)).toEqual({ data: { n: 2 } });
    expect(inner.calls()).toBe(2);
  });

  test('a max-age shorter than the TTL bounds how long it is kept', async () => {
    const inner = subgraph('max-age=1, public');
    let clock = 0;
    const cached = publicResponseCache(inner.fetcher, {
      ttlMs: 5000,
      maxEntries: 10,
      now: () => clock,
    });
    await ask(cached);
    clock = 999;
    await ask(cached);
    expect(inner.calls()).toBe(1);
    clock = 1000;
    await ask(cached);
    expect(inner.calls()).toBe(2);
  });

  test.each([['no-store'], ['max-age=0, public'], ['max-age=60, private'], [undefined]])(
    'an answer sent with Cache-Control %p (a live field such as availability) is never reused',
    async (cacheControl) => {
      const inner = subgraph(cacheControl);
      const cached = publicResponseCache(inner.fetcher, { ttlMs: 60_000, maxEntries: 10 });
      expect(await ask(cached)).toEqual({ data: { n: 1 } });
      expect(await ask(cached)).toEqual({ data: { n: 2 } });
      expect(inner.calls()).toBe(2);
    },
  );
});
