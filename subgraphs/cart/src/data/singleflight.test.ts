import { KeyedMutex } from './keyedMutex';
import { Singleflight } from './singleflight';

function latch() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('Singleflight', () => {
  it('concurrent calls for one key share one run; another key runs on its own', async () => {
    const flights = new Singleflight<number>();
    const gate = latch();
    let runs = 0;
    const fn = async () => {
      runs++;
      await gate.opened;
      return runs;
    };
    const shared = Array.from({ length: 10 }, () => flights.do('a', fn));
    const other = flights.do('b', fn);
    gate.open();
    expect(await Promise.all(shared)).toEqual(Array(10).fill(2));
    expect(await other).toBe(2);
    expect(runs).toBe(2);
  });

  it('after forget, a new call starts a new run while earlier callers keep theirs', async () => {
    const flights = new Singleflight<string>();
    const gate = latch();
    const early = flights.do('a', async () => {
      await gate.opened;
      return 'old';
    });
    flights.forget('a');
    const late = flights.do('a', async () => 'new');
    expect(await late).toBe('new');
    gate.open();
    expect(await early).toBe('old');
  });

  it('a failed run is not remembered', async () => {
    const flights = new Singleflight<string>();
    await expect(flights.do('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(flights.do('a', async () => 'ok')).resolves.toBe('ok');
  });
});

describe('KeyedMutex', () => {
  it('runs one key one at a time, in order, and carries on after a failure', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    let inside = 0;
    let maxInside = 0;
    const task = (name: string, fail = false) =>
      mutex.run('k', async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setImmediate(r));
        order.push(name);
        inside--;
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([task('1'), task('2', true), task('3')]);
    expect(order).toEqual(['1', '2', '3']);
    expect(maxInside).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
