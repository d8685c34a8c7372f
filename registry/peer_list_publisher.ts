/**
 * Keeps every peer's copy of the peer list current with as few bytes as
 * possible: a newcomer gets one snapshot, everyone else gets deltas. Changes
 * arriving close together are merged and sent as one frame, encoded once and
 * written to every subscriber.
 */

import {
  DELTA_MAX_CHANGES,
  encodeMessage,
  type PeerChange,
  type PeerInfo,
  type PeersDeltaMessage,
  SNAPSHOT_CHUNK_PEERS,
  type SnapshotMessage,
} from "../protocol/mod.ts";

/** Anything that can take an encoded frame: a peer session. */
export interface ListSubscriber {
  sendEncoded(frame: Uint8Array): void;
}

/** Options for {@linkcode PeerListPublisher}. */
export interface PeerListPublisherOptions {
  epoch: string;
  /** The current list, read when a snapshot is due. */
  currentPeers: () => PeerInfo[];
  /**
   * Least time between two flushes. The first change after a quiet spell goes
   * out at once; changes during a burst wait at most this long and share a
   * frame. Default: 10 ms, growing with the number of subscribers (one more
   * millisecond per 10, up to 1 s), since every flush is one write per
   * subscriber: a registry with 10,000 peers writes 10,000 frames a second
   * during a burst, not 100,000.
   */
  flushIntervalMs?: number;
  /** Told how many frames of each kind were written (for counters). */
  onSent?: (kind: "delta" | "snapshot", frames: number) => void;
  /** How many peers are online (cheaper than `currentPeers().length`). */
  peerCount?: () => number;
}

/**
 * Recent delta frames kept so a peer that missed some can catch up with
 * them instead of a whole snapshot; bounded in bytes, not only in frames.
 */
const DELTA_HISTORY_BYTES = 4 * 1024 * 1024;
const DELTA_HISTORY_FRAMES = 1024;
/** What one peer weighs in a snapshot before any was sent (id, name, address, JSON). */
const DEFAULT_BYTES_PER_PEER = 120;

/** Publishes snapshots and deltas, stamped with epoch and sequence number. */
export class PeerListPublisher {
  readonly epoch: string;
  readonly #options: PeerListPublisherOptions;
  readonly #flushIntervalMs: number | undefined;
  readonly #schedule: FlushSchedule;
  #seq = 0;
  #pending: PeerChange[] = [];
  #subscribers = new Set<ListSubscriber>();
  #awaitingSnapshot = new Set<ListSubscriber>();
  #closed = false;
  #history: { seq: number; frame: Uint8Array }[] = [];
  #historyBytes = 0;
  #bytesPerPeer = DEFAULT_BYTES_PER_PEER;

  constructor(options: PeerListPublisherOptions) {
    this.epoch = options.epoch;
    this.#options = options;
    this.#flushIntervalMs = options.flushIntervalMs;
    this.#schedule = new FlushSchedule(
      () => this.flush(),
      () => this.#flushIntervalMs ?? defaultFlushIntervalMs(this.#subscribers.size),
    );
  }

  /** Sequence number of the last delta sent. */
  get seq(): number {
    return this.#seq;
  }

  /** Queues a change for everyone who already has the list. */
  publish(change: PeerChange): void {
    if (this.#closed) return;
    this.#pending.push(change);
    this.#schedule.request();
  }

  /** Sends `subscriber` a snapshot at the next flush, then deltas. */
  subscribe(subscriber: ListSubscriber): void {
    if (this.#closed) return;
    this.#subscribers.delete(subscriber);
    this.#awaitingSnapshot.add(subscriber);
    this.#schedule.request();
  }

  /**
   * Catches `subscriber` up from `(epoch, seq)` with the deltas it missed,
   * if they are still held; then it gets deltas as usual. False when they
   * are not (another epoch, or too long ago): it needs a snapshot.
   */
  resume(subscriber: ListSubscriber, from: { epoch: string; seq: number }): boolean {
    if (this.#closed || from.epoch !== this.epoch || from.seq > this.#seq) return false;
    const first = this.#history.findIndex((entry) => entry.seq === from.seq + 1);
    if (from.seq < this.#seq && first < 0) return false;
    if (this.#awaitingSnapshot.has(subscriber)) return false; // a snapshot is already due
    if (first >= 0) {
      for (const { frame } of this.#history.slice(first)) subscriber.sendEncoded(frame);
    }
    this.#subscribers.add(subscriber);
    return true;
  }

  /** What a snapshot of the current list weighs, estimated from the last one sent. */
  snapshotBytes(): number {
    const peers = this.#options.peerCount?.() ?? this.#options.currentPeers().length;
    return Math.max(64, peers * this.#bytesPerPeer);
  }

  unsubscribe(subscriber: ListSubscriber): void {
    this.#subscribers.delete(subscriber);
    this.#awaitingSnapshot.delete(subscriber);
  }

  /** Sends what is pending now. Normally called by the timer. */
  flush(): void {
    this.#schedule.flushed();
    const changes = coalesceChanges(this.#pending);
    this.#pending = [];
    for (let start = 0; start < changes.length; start += DELTA_MAX_CHANGES) {
      const delta: PeersDeltaMessage = {
        type: "peers_delta",
        epoch: this.epoch,
        seq: ++this.#seq,
        changes: changes.slice(start, start + DELTA_MAX_CHANGES),
      };
      const frame = encodeMessage(delta);
      this.#remember(delta.seq, frame);
      for (const subscriber of this.#subscribers) subscriber.sendEncoded(frame);
      this.#options.onSent?.("delta", this.#subscribers.size);
    }
    if (this.#awaitingSnapshot.size > 0) {
      // Sent after the delta: the snapshot already reflects it, and the
      // newcomer's next expected sequence number is seq + 1.
      const peers = this.#options.currentPeers();
      const frames = snapshotFrames(this.epoch, this.#seq, peers);
      if (peers.length > 0) {
        this.#bytesPerPeer = frames.reduce((sum, f) => sum + f.length, 0) / peers.length;
      }
      for (const subscriber of this.#awaitingSnapshot) {
        for (const frame of frames) subscriber.sendEncoded(frame);
        this.#subscribers.add(subscriber);
      }
      this.#options.onSent?.("snapshot", this.#awaitingSnapshot.size);
      this.#awaitingSnapshot.clear();
    }
  }

  /** Stops the timer; nothing more is sent, later calls are ignored. */
  close(): void {
    this.#closed = true;
    this.#schedule.cancel();
    this.#subscribers.clear();
    this.#awaitingSnapshot.clear();
    this.#pending = [];
    this.#history = [];
  }

  #remember(seq: number, frame: Uint8Array): void {
    this.#history.push({ seq, frame });
    this.#historyBytes += frame.length;
    while (
      this.#history.length > DELTA_HISTORY_FRAMES ||
      (this.#historyBytes > DELTA_HISTORY_BYTES && this.#history.length > 1)
    ) {
      this.#historyBytes -= this.#history.shift()!.frame.length;
    }
  }
}

/**
 * Least time between two flushes when none is configured: 10 ms, one more
 * millisecond per 10 subscribers, at most 1 s.
 */
export function defaultFlushIntervalMs(subscribers: number): number {
  return Math.min(1000, Math.max(10, subscribers / 10));
}

/**
 * When to flush: the first request after a quiet spell runs at the end of
 * the current turn (everything that changed in the same turn still shares
 * the frame), not a timer later; requests during a burst wait until one
 * interval has passed since the last flush.
 */
export class FlushSchedule {
  readonly #flush: () => void;
  readonly #intervalMs: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #microtask = false;
  #lastFlushAt = -Infinity;
  #cancelled = false;

  constructor(flush: () => void, intervalMs: () => number) {
    this.#flush = flush;
    this.#intervalMs = intervalMs;
  }

  /** Asks for a flush: soon, or one interval after the last. */
  request(): void {
    if (this.#cancelled || this.#timer !== undefined || this.#microtask) return;
    const wait = this.#lastFlushAt + this.#intervalMs() - performance.now();
    if (wait <= 0) {
      this.#microtask = true;
      queueMicrotask(() => {
        this.#microtask = false;
        if (!this.#cancelled) this.#flush();
      });
      return;
    }
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  /** The owner flushed (by the schedule or by hand): the interval starts now. */
  flushed(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastFlushAt = performance.now();
  }

  /** No more flushes. */
  cancel(): void {
    this.#cancelled = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * The list as snapshot frames at `(epoch, seq)`: one frame per
 * {@linkcode SNAPSHOT_CHUNK_PEERS} peers, `more: true` on all but the last.
 */
export function snapshotFrames(epoch: string, seq: number, peers: PeerInfo[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let start = 0;
  do {
    const chunk = peers.slice(start, start + SNAPSHOT_CHUNK_PEERS);
    start += SNAPSHOT_CHUNK_PEERS;
    const snapshot: SnapshotMessage = {
      type: "snapshot",
      epoch,
      seq,
      peers: chunk,
      more: start < peers.length,
    };
    frames.push(encodeMessage(snapshot));
  } while (start < peers.length);
  return frames;
}

/**
 * Reduces a burst of changes to its net effect per peer, in first-seen order:
 * joined-then-left vanishes, left-then-joined becomes one update, and only a
 * peer's latest details are sent.
 */
export function coalesceChanges(changes: PeerChange[]): PeerChange[] {
  if (changes.length < 2) return changes;
  const net = new Map<string, { knownBefore: boolean; last: PeerChange }>();
  for (const change of changes) {
    const id = change.op === "left" ? change.id : change.peer.id;
    const entry = net.get(id);
    if (entry) entry.last = change;
    else net.set(id, { knownBefore: change.op !== "joined", last: change });
  }
  const result: PeerChange[] = [];
  for (const { knownBefore, last } of net.values()) {
    if (last.op === "left") {
      if (knownBefore) result.push(last);
    } else {
      result.push({ op: knownBefore ? "updated" : "joined", peer: last.peer });
    }
  }
  return result;
}
