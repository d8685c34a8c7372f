/**
 * Finds peers that stopped heart-beating. One timer for the whole registry,
 * not one per peer, so ten thousand peers cost one sweep per tick.
 */

import type { PeerRecord } from "./view.ts";

/** Options for {@linkcode HeartbeatMonitor}. */
export interface HeartbeatMonitorOptions {
  heartbeatMs: number;
  /** Missed beats before a peer counts as gone. */
  evictAfter: number;
  /** The records to watch, read at every sweep. */
  records: () => Iterable<PeerRecord>;
  /** Called once for each silent peer found. */
  evict: (record: PeerRecord) => void;
  now?: () => number;
}

/** Sweeps several times per heartbeat interval and evicts silent peers. */
export class HeartbeatMonitor {
  readonly #options: HeartbeatMonitorOptions;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: HeartbeatMonitorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** How long a peer may stay silent: `evictAfter` whole intervals. */
  get silenceLimitMs(): number {
    return this.#options.heartbeatMs * this.#options.evictAfter;
  }

  start(): void {
    // A quarter interval keeps detection within (evictAfter + 1/4) intervals.
    const sweepMs = Math.max(5, Math.floor(this.#options.heartbeatMs / 4));
    this.#timer ??= setInterval(() => this.sweep(), sweepMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Evicts every peer silent for longer than {@linkcode silenceLimitMs}. */
  sweep(): void {
    const cutoff = this.#now() - this.silenceLimitMs;
    const silent: PeerRecord[] = [];
    for (const record of this.#options.records()) {
      if (record.lastHeartbeatAt < cutoff) silent.push(record);
    }
    for (const record of silent) this.#options.evict(record);
  }
}
