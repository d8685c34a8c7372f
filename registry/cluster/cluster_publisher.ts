/**
 * The list as a cluster instance publishes it to its own peers. Sequence
 * numbers come from the shared table, not from this instance: every
 * instance stamps the same change with the same `(epoch, seq)`, so a peer
 * that moves to another instance can name where it stands and be sent only
 * what it missed. Entries read together are merged into one frame that
 * covers `from..seq`; a burst is coalesced exactly as a single registry does.
 */

import {
  DELTA_MAX_CHANGES,
  encodeMessage,
  type ListPosition,
  type PeerChange,
  type PeerInfo,
  type PeersDeltaMessage,
} from "../../protocol/mod.ts";
import {
  coalesceChanges,
  defaultFlushIntervalMs,
  FlushSchedule,
  type ListSubscriber,
  snapshotFrames,
} from "../peer_list_publisher.ts";

/** Changes covering sequence numbers `from..seq` of one epoch. */
export interface SequencedChanges {
  from: number;
  seq: number;
  changes: PeerChange[];
}

/** Options for {@linkcode ClusterPublisher}. */
export interface ClusterPublisherOptions {
  /** The list at the publisher's current position, read when a snapshot is due. */
  currentPeers: () => PeerInfo[];
  /** See `PeerListPublisherOptions.flushIntervalMs`. */
  flushIntervalMs?: number;
  /** Ranges kept for peers that resume; older ones get a snapshot. Default 10,000. */
  historyRanges?: number;
  /** Told how many frames of each kind were written (for counters). */
  onSent?: (kind: "delta" | "snapshot", frames: number) => void;
}

/** How long a peer that is ahead of this instance waits for it to catch up. */
const RESUME_WAIT_MS = 2000;

/** Publishes a shared table's changes to this instance's subscribers. */
export class ClusterPublisher {
  readonly #options: ClusterPublisherOptions;
  readonly #schedule: FlushSchedule;
  readonly #history: SequencedChanges[] = [];
  readonly #historyLimit: number;
  #epoch = "";
  #seq = 0;
  #pending: SequencedChanges[] = [];
  #subscribers = new Set<ListSubscriber>();
  #awaitingSnapshot = new Set<ListSubscriber>();
  /** Subscribers that named a position, with when they asked. */
  #resuming = new Map<ListSubscriber, { seq: number; since: number }>();
  #paused = true;
  #closed = false;
  #resumeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ClusterPublisherOptions) {
    this.#options = options;
    this.#historyLimit = options.historyRanges ?? 10_000;
    this.#schedule = new FlushSchedule(
      () => this.flush(),
      () => options.flushIntervalMs ?? defaultFlushIntervalMs(this.#subscribers.size),
    );
  }

  /** Where the published list stands. */
  position(): ListPosition {
    return { epoch: this.#epoch, seq: this.#seq };
  }

  /**
   * Starts (or restarts) at `(epoch, seq)`: history is dropped and every
   * subscriber is sent a snapshot at the next flush.
   */
  reset(epoch: string, seq: number): void {
    this.#epoch = epoch;
    this.#seq = seq;
    this.#pending = [];
    this.#history.length = 0;
    for (const subscriber of this.#subscribers) this.#awaitingSnapshot.add(subscriber);
    for (const subscriber of this.#resuming.keys()) this.#awaitingSnapshot.add(subscriber);
    this.#subscribers.clear();
    this.#resuming.clear();
    this.#paused = false;
    this.#schedule.request();
  }

  /** Holds everything back (the table is being rebuilt) until the next {@linkcode reset}. */
  pause(): void {
    this.#paused = true;
  }

  /** Queues the changes of the next sequence numbers. */
  append(changes: SequencedChanges): void {
    if (this.#closed) return;
    this.#seq = changes.seq;
    this.#pending.push(changes);
    this.#history.push(changes);
    // Trimmed in steps, not on every append: a burst appends thousands.
    if (this.#history.length > this.#historyLimit * 1.25) {
      this.#history.splice(0, this.#history.length - this.#historyLimit);
    }
    this.#schedule.request();
  }

  /**
   * Sends `subscriber` the list at the next flush: the deltas after
   * `resume` when they are still held, a snapshot otherwise; then deltas.
   */
  subscribe(subscriber: ListSubscriber, resume?: ListPosition): void {
    if (this.#closed) return;
    this.unsubscribe(subscriber);
    if (resume && resume.epoch === this.#epoch && !this.#paused) {
      this.#resuming.set(subscriber, { seq: resume.seq, since: performance.now() });
    } else {
      this.#awaitingSnapshot.add(subscriber);
    }
    this.#schedule.request();
  }

  unsubscribe(subscriber: ListSubscriber): void {
    this.#subscribers.delete(subscriber);
    this.#awaitingSnapshot.delete(subscriber);
    this.#resuming.delete(subscriber);
  }

  /** Sends what is pending now. Normally called by the schedule. */
  flush(): void {
    this.#schedule.flushed();
    if (this.#paused || this.#closed) return;
    const live = this.#frames(this.#pending);
    this.#pending = [];
    if (live === undefined) {
      // A range too large for one frame (a reload after a long gap): start everyone afresh.
      for (const subscriber of this.#subscribers) this.#awaitingSnapshot.add(subscriber);
      this.#subscribers.clear();
    } else if (this.#subscribers.size > 0) {
      for (const frame of live) {
        for (const subscriber of this.#subscribers) subscriber.sendEncoded(frame);
      }
      this.#options.onSent?.("delta", live.length * this.#subscribers.size);
    }
    this.#serveResuming();
    if (this.#awaitingSnapshot.size > 0) {
      const frames = snapshotFrames(this.#epoch, this.#seq, this.#options.currentPeers());
      for (const subscriber of this.#awaitingSnapshot) {
        for (const frame of frames) subscriber.sendEncoded(frame);
        this.#subscribers.add(subscriber);
      }
      this.#options.onSent?.("snapshot", this.#awaitingSnapshot.size);
      this.#awaitingSnapshot.clear();
    }
  }

  /** Stops; nothing more is sent. */
  close(): void {
    this.#closed = true;
    this.#schedule.cancel();
    clearTimeout(this.#resumeTimer);
    this.#subscribers.clear();
    this.#awaitingSnapshot.clear();
    this.#resuming.clear();
    this.#pending = [];
  }

  /** Catches up subscribers that named a position; those it cannot, get a snapshot. */
  #serveResuming(): void {
    if (this.#resuming.size === 0) return;
    // Peers leaving one instance together stand at the same place: encode their catch-up once.
    const catchUps = new Map<number, Uint8Array[] | undefined>();
    const now = performance.now();
    let waiting = false;
    for (const [subscriber, { seq, since }] of this.#resuming) {
      if (seq > this.#seq) {
        // The peer saw changes this instance has not read yet: wait a little.
        if (now - since < RESUME_WAIT_MS) {
          waiting = true;
          continue;
        }
        this.#resuming.delete(subscriber);
        this.#awaitingSnapshot.add(subscriber);
        continue;
      }
      this.#resuming.delete(subscriber);
      if (!catchUps.has(seq)) catchUps.set(seq, this.#catchUp(seq));
      const frames = catchUps.get(seq);
      if (frames === undefined) {
        this.#awaitingSnapshot.add(subscriber);
        continue;
      }
      for (const frame of frames) subscriber.sendEncoded(frame);
      if (frames.length > 0) this.#options.onSent?.("delta", frames.length);
      this.#subscribers.add(subscriber);
    }
    if (waiting && this.#resumeTimer === undefined) {
      this.#resumeTimer = setTimeout(() => {
        this.#resumeTimer = undefined;
        this.flush();
      }, RESUME_WAIT_MS / 4);
    }
  }

  /** The frames that take a list at `seq` to the current position, if still held. */
  #catchUp(seq: number): Uint8Array[] | undefined {
    if (seq === this.#seq) return [];
    const start = this.#history.findIndex((range) => range.from === seq + 1);
    if (start < 0) return undefined;
    return this.#frames(this.#history.slice(start));
  }

  /**
   * Frames for consecutive ranges: as many ranges per frame as fit
   * {@linkcode DELTA_MAX_CHANGES} changes, each frame covering `from..seq`.
   * Undefined when one range alone does not fit.
   */
  #frames(ranges: SequencedChanges[]): Uint8Array[] | undefined {
    const frames: Uint8Array[] = [];
    let group: SequencedChanges[] = [];
    let count = 0;
    const emit = () => {
      if (group.length === 0) return;
      const from = group[0].from;
      const seq = group[group.length - 1].seq;
      const delta: PeersDeltaMessage = {
        type: "peers_delta",
        epoch: this.#epoch,
        seq,
        changes: coalesceChanges(group.flatMap((range) => range.changes)),
      };
      if (from !== seq) delta.from = from;
      frames.push(encodeMessage(delta));
      group = [];
      count = 0;
    };
    for (const range of ranges) {
      if (range.changes.length > DELTA_MAX_CHANGES) return undefined;
      if (count + range.changes.length > DELTA_MAX_CHANGES) emit();
      group.push(range);
      count += range.changes.length;
    }
    emit();
    return frames;
  }
}
