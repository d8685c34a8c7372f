/**
 * Group commit: items pushed during one turn of the event loop are handled
 * together, one batch per key, and batches of the same key run in order.
 * A link that delivers a hundred frames at once then costs one store
 * transaction, not a hundred.
 */

interface Lane<T> {
  items: T[];
  tail: Promise<void>;
  scheduled: boolean;
}

/** Batches items per key and hands each batch to `handle`. */
export class TickBatcher<K, T> {
  readonly #handle: (key: K, items: T[]) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  readonly #lanes = new Map<K, Lane<T>>();
  readonly #running = new Set<Promise<void>>();

  constructor(handle: (key: K, items: T[]) => Promise<void>, onError: (error: unknown) => void) {
    this.#handle = handle;
    this.#onError = onError;
  }

  /** Adds `item` to `key`'s next batch. */
  push(key: K, item: T): void {
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { items: [], tail: Promise.resolve(), scheduled: false };
      this.#lanes.set(key, lane);
    }
    lane.items.push(item);
    if (lane.scheduled) return;
    lane.scheduled = true;
    const current = lane;
    // The timer lets every frame already read from the socket join the batch.
    const run = current.tail
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))
      .then(() => {
        const items = current.items;
        current.items = [];
        current.scheduled = false;
        return this.#handle(key, items);
      })
      .catch(this.#onError)
      .finally(() => {
        this.#running.delete(run);
        if (!current.scheduled && this.#lanes.get(key) === current) this.#lanes.delete(key);
      });
    current.tail = run;
    this.#running.add(run);
  }

  /** Resolves when every batch pushed so far has been handled. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled(this.#running);
  }
}
