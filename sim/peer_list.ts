/**
 * The peer list as a simulated peer rebuilds it from what the registry sends:
 * a snapshot (possibly in chunks), then deltas that must follow it with
 * consecutive sequence numbers in the same epoch.
 */

import type { PeerInfo, RegistryToPeer } from "../protocol/mod.ts";

/** A registry message of one `type`. */
export type RegistryMessageOf<T extends RegistryToPeer["type"]> = Extract<
  RegistryToPeer,
  { type: T }
>;

/** Options for a {@linkcode PeerList}. */
export interface PeerListOptions {
  /**
   * On an inconsistency, count it in {@linkcode PeerList.gaps} and wait for
   * a fresh snapshot (as a real peer does) instead of recording a
   * {@linkcode PeerList.problem} and stopping: for load, where a gap is a
   * figure to report rather than a test failure.
   */
  resync?: boolean;
}

/**
 * A rebuilt peer list. By default the first inconsistency is recorded in
 * {@linkcode problem} and later messages are ignored; with `resync` it is
 * counted and repaired from the next snapshot.
 */
export class PeerList {
  readonly peers = new Map<string, PeerInfo>();
  /** When each listed peer appeared in the list (`performance.now()`). */
  readonly learnedAt = new Map<string, number>();
  /** When each peer was last seen leaving it (`performance.now()`). */
  readonly leftAt = new Map<string, number>();
  epoch: string | undefined;
  /** Sequence number of the last snapshot or delta applied. */
  seq = -1;
  snapshots = 0;
  deltas = 0;
  /** Inconsistencies repaired by a snapshot, with `resync`. */
  gaps = 0;
  /** The first inconsistency seen; later messages are ignored once set. */
  problem: string | undefined;
  readonly #resync: boolean;
  #chunks: Map<string, PeerInfo> | undefined;
  #awaitingSnapshot = false;

  constructor(options: PeerListOptions = {}) {
    this.#resync = options.resync ?? false;
  }

  /**
   * Applies a registry message; messages that are not about the list are
   * ignored. True when the list needs a fresh snapshot (with `resync`): the
   * caller should send a `snapshot_request`.
   */
  apply(message: RegistryToPeer): boolean {
    if (this.problem !== undefined) return false;
    if (message.type === "snapshot") this.#applySnapshot(message);
    else if (message.type === "peers_delta" && !this.#awaitingSnapshot) {
      const problem = this.#applyDelta(message);
      if (problem === undefined) return false;
      if (!this.#resync) {
        this.problem = problem;
        return false;
      }
      this.gaps++;
      this.#awaitingSnapshot = true;
      return true;
    }
    return false;
  }

  #applySnapshot(message: RegistryMessageOf<"snapshot">): void {
    this.#chunks ??= new Map();
    for (const peer of message.peers) this.#chunks.set(peer.id, peer);
    if (message.more) return;
    const now = performance.now();
    for (const id of this.peers.keys()) {
      if (!this.#chunks.has(id)) this.#left(id, now);
    }
    this.peers.clear();
    for (const [id, peer] of this.#chunks) {
      this.peers.set(id, peer);
      if (!this.learnedAt.has(id)) this.learnedAt.set(id, now);
    }
    this.#chunks = undefined;
    this.#awaitingSnapshot = false;
    this.epoch = message.epoch;
    this.seq = message.seq;
    this.snapshots++;
  }

  /** Applies a delta, or says why it does not fit the list. */
  #applyDelta(message: RegistryMessageOf<"peers_delta">): string | undefined {
    this.deltas++;
    if (this.epoch === undefined) return `delta seq ${message.seq} arrived before any snapshot`;
    if (message.epoch !== this.epoch) {
      return `delta from epoch ${message.epoch} while in epoch ${this.epoch}`;
    }
    // A cluster instance merges several sequence numbers into one delta: `from..seq`.
    if ((message.from ?? message.seq) !== this.seq + 1) {
      const range = message.from === undefined
        ? `${message.seq}`
        : `${message.from}..${message.seq}`;
      return `delta seq ${range} does not follow seq ${this.seq}`;
    }
    this.seq = message.seq;
    const now = performance.now();
    for (const change of message.changes) {
      if (change.op === "left") {
        if (!this.peers.delete(change.id)) {
          return `seq ${message.seq}: ${change.id} left but was not listed`;
        }
        this.#left(change.id, now);
      } else if ((change.op === "joined") === this.peers.has(change.peer.id)) {
        return `seq ${message.seq}: ${change.peer.id} ${change.op} but was ` +
          (change.op === "joined" ? "already listed" : "not listed");
      } else {
        this.peers.set(change.peer.id, change.peer);
        if (!this.learnedAt.has(change.peer.id)) this.learnedAt.set(change.peer.id, now);
      }
    }
    return undefined;
  }

  #left(id: string, now: number): void {
    this.learnedAt.delete(id);
    this.leftAt.set(id, now);
  }
}
