/**
 * What one sender (by peer ID) may make this peer store: messages and bytes
 * per minute, each a token bucket that holds a minute's worth and refills
 * continuously, and a cap on the bytes it holds from that sender in its
 * store. Rates are checked as messages arrive, before anything is kept;
 * the cap when they are about to be committed, from a counter that starts at
 * what the store already holds (so a restart does not reset it).
 */

import { TokenBucket } from "../../limits/mod.ts";
import type { RefusalReason } from "../../protocol/mod.ts";

/** Per-sender limits. */
export interface SenderLimits {
  /** Chat messages per minute from one sender (a minute's worth may come at once). */
  messagesPerMinute: number;
  /** Bytes per minute, counted as the store counts them (`storedBytes`). */
  bytesPerMinute: number;
  /** Bytes this peer stores from one sender at most, history included. */
  maxStoredBytes: number;
}

/**
 * A person types far less than 600 messages a minute, and a busy bot fits;
 * 8 MiB a minute is 160 of the longest messages; 64 MiB is about half a
 * million ordinary messages of history from one sender.
 */
export const DEFAULT_SENDER_LIMITS: Readonly<SenderLimits> = {
  messagesPerMinute: 600,
  bytesPerMinute: 8 * 1024 * 1024,
  maxStoredBytes: 64 * 1024 * 1024,
};

/** Why a message was not taken, and for rates, when there is room again. */
export interface Refusal {
  reason: RefusalReason;
  retryAfterMs?: number;
  /** True for the first refusal of a run (log it once, not per message). */
  first: boolean;
}

/** Options for {@linkcode SenderQuota}. */
export interface SenderQuotaOptions {
  limits?: Partial<SenderLimits>;
  /** What the store holds from `peerId` already (`MessageStore.storedBytesFrom`). */
  storedBytesFrom: (peerId: string) => Promise<number>;
  /** The clock in ms (`performance.now`); tests may pass their own. */
  now?: () => number;
}

/**
 * After a rate refusal the sender is told to wait until a tenth of a
 * minute's worth is back: fewer, larger rounds than one message at a time.
 */
const REFILL_SHARE = 0.1;
/** Past this many senders, the idle ones (full buckets, nothing pending) are forgotten. */
const REMEMBERED_SENDERS = 4096;

interface Sender {
  messages: TokenBucket;
  bytes: TokenBucket;
  /** Rate refusals go on until then, so what a sender sent keeps its order. */
  blockedUntil: number;
  blockedFor: RefusalReason;
  /** Bytes held in the store plus those reserved for commits in progress. */
  stored: number | undefined;
  loading: Promise<void> | undefined;
  /** Reservations not yet settled. */
  reserved: number;
  /** The last reservation found the cap reached (log once per run). */
  full: boolean;
}

/** Every sender's quota. */
export class SenderQuota {
  readonly limits: Readonly<SenderLimits>;
  readonly #options: SenderQuotaOptions;
  readonly #senders = new Map<string, Sender>();
  readonly #now: () => number;

  constructor(options: SenderQuotaOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_SENDER_LIMITS, ...options.limits };
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Charges one message of `bytes` to `peerId`'s rates, or says why not
   * (nothing is charged then).
   */
  admit(peerId: string, bytes: number): Refusal | undefined {
    const sender = this.#sender(peerId);
    const now = this.#now();
    if (now < sender.blockedUntil) {
      const retryAfterMs = Math.ceil(sender.blockedUntil - now);
      return { reason: sender.blockedFor, retryAfterMs, first: false };
    }
    if (!sender.messages.take(1, now)) {
      return this.#block(sender, "too_many_messages", sender.messages, 1);
    }
    if (!sender.bytes.take(bytes, now)) {
      sender.messages.give(1, now);
      return this.#block(sender, "too_many_bytes", sender.bytes, bytes);
    }
    return undefined;
  }

  /**
   * Reserves room in the store for messages of these sizes, in order: true
   * for each that fits under the cap. Settle every reservation with
   * {@linkcode settle}.
   */
  async reserve(peerId: string, sizes: number[]): Promise<boolean[]> {
    const sender = this.#sender(peerId);
    sender.reserved++;
    try {
      sender.loading ??= this.#options.storedBytesFrom(peerId).then((bytes) => {
        sender.stored = bytes;
      });
      await sender.loading;
    } catch (error) {
      sender.loading = undefined;
      sender.reserved--;
      throw error;
    }
    const fits = sizes.map((size) => {
      if (sender.stored! + size > this.limits.maxStoredBytes) return false;
      sender.stored! += size;
      return true;
    });
    return fits;
  }

  /**
   * Ends a reservation: what was stored stays counted; what was not (the
   * store already held it, or the commit failed) is given back, to the cap
   * and to the rates — a resend after a lost ack costs the sender nothing.
   */
  settle(peerId: string, sizes: number[], stored: boolean[]): void {
    const sender = this.#sender(peerId);
    sender.reserved--;
    for (const [index, size] of sizes.entries()) {
      if (stored[index]) continue;
      sender.stored! -= size;
      sender.messages.give(1, this.#now());
      sender.bytes.give(size, this.#now());
    }
  }

  /** True the first time a run of store-full refusals for `peerId` starts. */
  firstTimeFull(peerId: string, full: boolean): boolean {
    const sender = this.#sender(peerId);
    const first = full && !sender.full;
    sender.full = full;
    return first;
  }

  /** Refuses until `bucket` holds what was asked, and at least a tenth of its minute. */
  #block(sender: Sender, reason: RefusalReason, bucket: TokenBucket, needed: number): Refusal {
    const perMinute = reason === "too_many_messages"
      ? this.limits.messagesPerMinute
      : this.limits.bytesPerMinute;
    const now = this.#now();
    const retryAfterMs = Math.max(
      1,
      bucket.msUntil(Math.max(needed, perMinute * REFILL_SHARE), now),
    );
    sender.blockedUntil = now + retryAfterMs;
    sender.blockedFor = reason;
    return { reason, retryAfterMs, first: true };
  }

  #sender(peerId: string): Sender {
    let sender = this.#senders.get(peerId);
    if (!sender) {
      if (this.#senders.size >= REMEMBERED_SENDERS) this.#forgetIdle();
      const now = this.#now();
      const { messagesPerMinute, bytesPerMinute } = this.limits;
      sender = {
        messages: new TokenBucket(messagesPerMinute / 60, messagesPerMinute, now),
        bytes: new TokenBucket(bytesPerMinute / 60, bytesPerMinute, now),
        blockedUntil: 0,
        blockedFor: "too_many_messages",
        stored: undefined,
        loading: undefined,
        reserved: 0,
        full: false,
      };
      this.#senders.set(peerId, sender);
    }
    return sender;
  }

  /**
   * Forgets senders whose buckets are full again and who have nothing in
   * flight: a fresh entry says the same (their stored bytes are re-counted).
   */
  #forgetIdle(): void {
    const now = this.#now();
    for (const [peerId, sender] of this.#senders) {
      if (sender.reserved === 0 && sender.messages.isFull(now) && sender.bytes.isFull(now)) {
        this.#senders.delete(peerId);
      }
    }
  }
}
