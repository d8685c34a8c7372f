/**
 * Limits that keep one misbehaving client from costing everyone else: token
 * buckets (per connection for frames and bytes, per IP for new connections),
 * per-key budgets per minute (registrations per IP, snapshot bytes per IP),
 * and caps on open things per key and in total (connections that have not
 * registered or finished a handshake yet, peers online per network, links
 * per IP).
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

  /** Takes `amount` tokens (one by default) if there are that many. */
  take(amount = 1, now = performance.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#ratePerMs);
    this.#updatedAt = now;
    if (this.#tokens < amount) return false;
    this.#tokens -= amount;
    return true;
  }

  /** Gives back `amount` tokens taken for something that did not happen (up to the burst). */
  give(amount = 1, now = performance.now()): void {
    this.take(0, now);
    this.#tokens = Math.min(this.#burst, this.#tokens + amount);
  }

  /** Milliseconds until the bucket holds `amount` tokens (0 if it does now; never above the burst). */
  msUntil(amount: number, now = performance.now()): number {
    this.take(0, now);
    return Math.max(0, Math.ceil((Math.min(amount, this.#burst) - this.#tokens) / this.#ratePerMs));
  }

  /** True when the bucket has refilled to its burst (it holds no history then). */
  isFull(now = performance.now()): boolean {
    return this.#tokens + (now - this.#updatedAt) * this.#ratePerMs >= this.#burst;
  }
}

/**
 * A {@linkcode TokenBucket} per key (new connections per IP): `ratePerSecond`
 * sustained, `burst` at once, for each key on its own. Buckets that have
 * refilled are forgotten, so the map holds only keys active in the last
 * `burst / ratePerSecond` seconds.
 */
export class TokenBuckets {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #refillMs: number;
  #sweptAt = -Infinity;

  constructor(ratePerSecond: number, burst: number) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#refillMs = (burst / ratePerSecond) * 1000;
  }

  /** Keys with a bucket now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes `amount` tokens (one by default) from `key`'s bucket if it has them. */
  take(key: string, amount = 1, now = performance.now()): boolean {
    if (now - this.#sweptAt >= this.#refillMs) this.#sweep(now);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      this.#buckets.set(key, bucket = new TokenBucket(this.ratePerSecond, this.burst, now));
    }
    return bucket.take(amount, now);
  }

  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(now)) this.#buckets.delete(key);
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

  /**
   * Spends `amount` (one by default) for `key`; false, and nothing spent,
   * once the minute's budget would be exceeded. A single spend larger than
   * the whole budget is allowed when nothing was spent yet this minute, so
   * one oversized item still gets through once a minute.
   */
  spend(key: string, amount = 1, now = Date.now()): boolean {
    if (now - this.#windowStart >= 60_000) {
      this.#windowStart = now;
      this.#counts = new Map();
    }
    const used = this.#counts.get(key) ?? 0;
    if (used + amount > this.limit && used > 0) return false;
    if (used >= this.limit) return false;
    this.#counts.set(key, used + amount);
    return true;
  }

  /** Milliseconds until the budgets are full again. */
  refillsIn(now = Date.now()): number {
    return Math.max(0, this.#windowStart + 60_000 - now);
  }
}

/**
 * Counts open things per key and in total (unregistered connections per IP
 * and overall; peers online per network).
 */
export class OpenCounter {
  readonly limit: number;
  readonly totalLimit: number;
  #open = new Map<string, number>();
  #total = 0;

  constructor(limit: number, totalLimit = Infinity) {
    this.limit = limit;
    this.totalLimit = totalLimit;
  }

  /** Open things in all. */
  get total(): number {
    return this.#total;
  }

  /**
   * Opens one for `key`. Returns `null` when opened, or which limit refused
   * it (nothing opened then): `"key"` for the per-key one, `"total"`.
   */
  open(key: string): "key" | "total" | null {
    const count = this.#open.get(key) ?? 0;
    if (count >= this.limit) return "key";
    if (this.#total >= this.totalLimit) return "total";
    this.#open.set(key, count + 1);
    this.#total++;
    return null;
  }

  close(key: string): void {
    const count = this.#open.get(key);
    if (count === undefined) return;
    this.#total--;
    if (count <= 1) this.#open.delete(key);
    else this.#open.set(key, count - 1);
  }
}
