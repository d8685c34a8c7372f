/**
 * Limits that keep one misbehaving client from costing everyone else: a
 * token bucket per connection for frames, a per-IP budget of registrations
 * per minute, and a cap on connections per IP that have not registered yet.
 */

/** A token bucket: `ratePerSecond` sustained, `burst` at once. */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #updatedAt: number;

  constructor(ratePerSecond: number, burst: number, now = performance.now()) {
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /** Takes one token if there is one. */
  take(now = performance.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#ratePerMs);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Counts events per key in fixed one-minute windows. */
export class PerMinuteBudget {
  readonly limit: number;
  #windowStart = 0;
  #counts = new Map<string, number>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Spends one unit for `key`; false once the minute's budget is used up. */
  spend(key: string, now = Date.now()): boolean {
    if (now - this.#windowStart >= 60_000) {
      this.#windowStart = now;
      this.#counts = new Map();
    }
    const used = this.#counts.get(key) ?? 0;
    if (used >= this.limit) return false;
    this.#counts.set(key, used + 1);
    return true;
  }
}

/** Counts open things per key (here: unregistered connections per IP). */
export class OpenCounter {
  readonly limit: number;
  #open = new Map<string, number>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Opens one for `key`; false (and nothing opened) if it is at the limit. */
  open(key: string): boolean {
    const count = this.#open.get(key) ?? 0;
    if (count >= this.limit) return false;
    this.#open.set(key, count + 1);
    return true;
  }

  close(key: string): void {
    const count = (this.#open.get(key) ?? 1) - 1;
    if (count <= 0) this.#open.delete(key);
    else this.#open.set(key, count);
  }
}
