/**
 * Collapses concurrent calls for one key into one: the first caller runs `fn`, the others get
 * its promise. Hand-written because it is a dozen lines and the npm packages for it add little;
 * what matters here is `forget`, which a writer calls so that a read started AFTER its write
 * never joins a flight that started BEFORE it (and would return the old cart).
 */
export class Singleflight<T> {
  private readonly flights = new Map<string, Promise<T>>();

  do(key: string, fn: () => Promise<T>): Promise<T> {
    const inFlight = this.flights.get(key);
    if (inFlight) return inFlight;
    const flight = fn().finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    this.flights.set(key, flight);
    return flight;
  }

  /** Later calls start a new flight; callers already waiting keep the one they joined. */
  forget(key: string): void {
    this.flights.delete(key);
  }
}
