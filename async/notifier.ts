/** Waking whoever waits for "something changed". */

/**
 * Wakes every waiter at once when something changed: a message arrived, a
 * line was read, the stream ended. Waiters re-check their own condition, so
 * one `notify()` serves any number of them and none is woken twice for it.
 *
 * @example
 * ```ts
 * const changes = new Notifier();
 * // reader: lines.push(line); changes.notify();
 * const ready = await changes.until(() => lines.find((l) => l.startsWith("ready")), 1000);
 * if (ready === undefined) throw new Error("not ready within 1000 ms");
 * ```
 */
export class Notifier {
  #next: PromiseWithResolvers<void> | undefined;

  /** Resolves at the next {@linkcode notify}. */
  next(): Promise<void> {
    this.#next ??= Promise.withResolvers<void>();
    return this.#next.promise;
  }

  /**
   * Checks `test` now and after every {@linkcode notify} until it returns a
   * value other than `undefined`, which it resolves with; `undefined` once
   * `ms` have passed. `test` may throw to give up sooner (the stream ended).
   */
  async until<T>(test: () => T | undefined, ms: number): Promise<T | undefined> {
    let found = test();
    if (found !== undefined) return found;
    // One timer for the whole wait, not one per wake-up: thousands of
    // simulated peers wait like this, each woken by every frame.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => timer = setTimeout(resolve, ms, "expired"));
    try {
      while (true) {
        const woken = await Promise.race([this.next(), expired]);
        found = test();
        if (found !== undefined || woken === "expired") return found;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Wakes everyone waiting in {@linkcode next} and {@linkcode until}. */
  notify(): void {
    this.#next?.resolve();
    this.#next = undefined;
  }
}
