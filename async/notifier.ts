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
 * while (!lines.includes("ready")) {
 *   if (!await waitAtMost(changes.next(), 1000)) throw new Error("not ready in time");
 * }
 * ```
 */
export class Notifier {
  #next: PromiseWithResolvers<void> | undefined;

  /** Resolves at the next {@linkcode notify}. */
  next(): Promise<void> {
    this.#next ??= Promise.withResolvers<void>();
    return this.#next.promise;
  }

  /** Wakes everyone waiting in {@linkcode next}. */
  notify(): void {
    this.#next?.resolve();
    this.#next = undefined;
  }
}
