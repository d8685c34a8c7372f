/**
 * The rate a relay circuit may carry in one direction (`--relay-kbps`): a
 * token bucket that may go into debt, so a chunk leaves as soon as the
 * bucket is not in debt, whatever its size, and the next one waits until
 * the debt is paid. Senders need not know the rate: the registry's
 * `relay_ack`s come at it, and their window holds them to it.
 */

/** A circuit's budget in one direction. */
export class RelayPacer {
  /** Bytes per millisecond; `Infinity` when unlimited. */
  readonly #rate: number;
  readonly #burst: number;
  #allowance: number;
  #updatedAt: number;

  /** `kbps`: kilobits per second (1 kbps = 125 bytes/s); 0 means unlimited. */
  constructor(kbps: number, now = performance.now()) {
    const bytesPerSecond = (kbps * 1000) / 8;
    this.#rate = kbps === 0 ? Infinity : bytesPerSecond / 1000;
    // A quarter second's worth (at least 4 KiB) may go at once.
    this.#burst = kbps === 0 ? Infinity : Math.max(4096, bytesPerSecond / 4);
    this.#allowance = this.#burst;
    this.#updatedAt = now;
  }

  /** Milliseconds until the next chunk may go (0: now). */
  waitMs(now = performance.now()): number {
    if (this.#rate === Infinity) return 0;
    this.#allowance = Math.min(
      this.#burst,
      this.#allowance + (now - this.#updatedAt) * this.#rate,
    );
    this.#updatedAt = now;
    return this.#allowance >= 0 ? 0 : Math.ceil(-this.#allowance / this.#rate);
  }

  /** Charges `bytes` that went. */
  spend(bytes: number): void {
    if (this.#rate !== Infinity) this.#allowance -= bytes;
  }
}
