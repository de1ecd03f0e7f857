/**
 * Runs functions for the same key one after another (different keys run in parallel). The cart
 * uses it so that concurrent changes to one cart inside one process queue up instead of racing
 * for the same version number and retrying; the unique index still arbitrates between
 * processes. Hand-written: a promise chain per key is shorter than any dependency.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(() => fn());
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
