/**
 * This peer's copy of the peer list, rebuilt from one snapshot and kept
 * current with deltas. It survives a lost registry: the last known list is
 * what lets chat go on while the registry is away.
 */

import {
  type LeaveReason,
  type ListPosition,
  nameKey,
  nameProblem,
  normalizeName,
  type PeerInfo,
  type PeersDeltaMessage,
  ProtocolError,
  type SnapshotMessage,
} from "../protocol/mod.ts";

/** What changed in the list, as the user should hear it. */
export type DirectoryChange =
  | { kind: "joined"; peer: PeerInfo }
  | { kind: "updated"; peer: PeerInfo; previous: PeerInfo }
  | { kind: "left"; peer: PeerInfo; reason: LeaveReason };

/** Outcome of {@linkcode PeerDirectory.applyDelta}. */
export type DeltaOutcome =
  | { kind: "applied"; changes: DirectoryChange[] }
  /** Already seen (a duplicate or late frame): ignored. */
  | { kind: "stale" }
  /** A sequence number was skipped or the epoch changed: ask for a snapshot. */
  | { kind: "gap" };

/** Shortest ID prefix accepted where people type an ID. */
export const MIN_ID_PREFIX = 6;

/**
 * Most peers one snapshot may list: four times a registry's default
 * `--max-peers` (50,000). A registry that keeps sending `more: true` past
 * this is not sending a list but filling this peer's memory.
 */
export const MAX_LIST_PEERS = 200_000;

/** Most bytes (as JSON, roughly) one snapshot may hold: 64 MiB, some 300 per peer at the cap. */
export const MAX_LIST_BYTES = 64 * 1024 * 1024;

/** How big an unfinished snapshot may grow (see {@linkcode MAX_LIST_PEERS}). */
export interface ListLimits {
  maxPeers?: number;
  maxBytes?: number;
}

/** Told about a listed peer whose name this peer refuses (see {@linkcode nameProblem}). */
export type RefusedNameListener = (peer: PeerInfo, problem: string) => void;

/**
 * Other peers by ID, with the epoch and sequence number they are current to.
 * Names are checked again here, not taken on the registry's word: a peer
 * listed under a name that is not allowed (mixed scripts, not NFC, …) is
 * left out of the list.
 */
export class PeerDirectory {
  readonly selfId: string;
  readonly #onRefusedName: RefusedNameListener | undefined;
  #peers = new Map<string, PeerInfo>();
  /** Peers that left, so messages they still send can show a name. */
  #departed = new Map<string, PeerInfo>();
  /**
   * Listed peers held through a registry changeover: kept online until the
   * new registry lists them again or the rejoin window closes
   * ({@linkcode holdForRejoin}, `rejoin_window.ts`).
   */
  #held = new Set<string>();
  #epoch: string | undefined;
  #seq = 0;
  #partial: { epoch: string; seq: number; peers: PeerInfo[]; bytes: number } | undefined;
  readonly #maxListPeers: number;
  readonly #maxListBytes: number;

  constructor(
    selfId: string,
    options: { onRefusedName?: RefusedNameListener; limits?: ListLimits } = {},
  ) {
    this.selfId = selfId;
    this.#onRefusedName = options.onRefusedName;
    this.#maxListPeers = options.limits?.maxPeers ?? MAX_LIST_PEERS;
    this.#maxListBytes = options.limits?.maxBytes ?? MAX_LIST_BYTES;
  }

  get epoch(): string | undefined {
    return this.#epoch;
  }

  get seq(): number {
    return this.#seq;
  }

  get size(): number {
    return this.#peers.size;
  }

  /** Where this copy stands, once a snapshot arrived (sent as `resume` on re-registering). */
  position(): ListPosition | undefined {
    return this.#epoch === undefined ? undefined : { epoch: this.#epoch, seq: this.#seq };
  }

  /** Known peers, by name. */
  list(): PeerInfo[] {
    return [...this.#peers.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(id: string): PeerInfo | undefined {
    return this.#peers.get(id);
  }

  /** The peer if online, else how it looked when it was last listed. */
  lastKnown(id: string): PeerInfo | undefined {
    return this.#peers.get(id) ?? this.#departed.get(id);
  }

  /**
   * Finds an online peer by name (case-insensitive), by full ID, or by an
   * unambiguous ID prefix of at least {@linkcode MIN_ID_PREFIX} characters.
   * With `offline: true`, peers seen before but not online now are found too
   * (online ones win), so messages can wait for them in the outbox.
   */
  resolve(nameOrId: string, options: { offline?: boolean } = {}): PeerInfo | undefined {
    const online = findIn([...this.#peers.values()], nameOrId);
    if (online || !options.offline) return online;
    // Most recently seen first: a name reused by a new identity means the newest.
    return findIn([...this.#departed.values()].reverse(), nameOrId);
  }

  /** Peers seen before but not online now, most recently seen first. */
  departed(): PeerInfo[] {
    return [...this.#departed.values()].filter((p) => !this.#peers.has(p.id)).reverse();
  }

  /** Peers held for a rejoin that the registry has not listed again yet. */
  get held(): number {
    return this.#held.size;
  }

  /**
   * Holds every listed peer: a registry that does not know them yet (a new
   * epoch) is about to send its list, and missing from it is not gone. A
   * held peer stays listed; when the registry lists it again it is released
   * quietly (an `updated` change if its address or name changed).
   */
  holdForRejoin(): void {
    for (const id of this.#peers.keys()) this.#held.add(id);
  }

  /**
   * Ends the hold: every peer still held leaves (reason `timeout`, as a
   * registry reports a peer that vanished without a word).
   */
  dropUnrejoined(): DirectoryChange[] {
    const changes: DirectoryChange[] = [];
    for (const id of this.#held) {
      const peer = this.#peers.get(id);
      if (!peer) continue;
      this.#peers.delete(id);
      this.#remember(peer);
      changes.push({ kind: "left", peer, reason: "timeout" });
    }
    this.#held.clear();
    return changes;
  }

  /** Seeds the peers seen in earlier runs (not online until listed). */
  rememberDeparted(peers: PeerInfo[]): void {
    for (const peer of peers) {
      if (!this.#peers.has(peer.id) && peer.id !== this.selfId) this.#remember(peer);
    }
  }

  /**
   * Takes one snapshot frame. Returns `null` while more frames of the same
   * snapshot are due, then the changes against the list held before.
   * Throws {@linkcode ProtocolError} `list_too_large` (and forgets the
   * unfinished snapshot) when the frames so far list more peers or bytes
   * than the limits: the list held before stays as it was.
   */
  applySnapshot(message: SnapshotMessage): DirectoryChange[] | null {
    if (this.#partial?.epoch !== message.epoch || this.#partial.seq !== message.seq) {
      this.#partial = { epoch: message.epoch, seq: message.seq, peers: [], bytes: 0 };
    }
    const partial = this.#partial;
    partial.bytes += message.peers.reduce((sum, peer) => sum + listedBytes(peer), 0);
    if (
      partial.peers.length + message.peers.length > this.#maxListPeers ||
      partial.bytes > this.#maxListBytes
    ) {
      const listed = partial.peers.length + message.peers.length;
      this.#partial = undefined;
      throw new ProtocolError(
        "list_too_large",
        `The registry's snapshot of epoch ${message.epoch} goes on past ${listed} peers and ` +
          `${partial.bytes} bytes (limits: ${this.#maxListPeers} peers, ${this.#maxListBytes} ` +
          `bytes); dropped it to ask again on a new connection`,
      );
    }
    partial.peers.push(...message.peers);
    if (message.more) return null;

    const next = new Map<string, PeerInfo>();
    for (const peer of this.#partial.peers) {
      if (peer.id !== this.selfId && this.#acceptable(peer)) next.set(peer.id, peer);
    }
    this.#partial = undefined;
    const changes: DirectoryChange[] = [];
    for (const id of next.keys()) this.#held.delete(id);
    for (const [id, peer] of this.#peers) {
      if (next.has(id)) continue;
      if (this.#held.has(id)) {
        // Held through a changeover: it may still register with the new registry.
        next.set(id, peer);
        continue;
      }
      // Gone while we were not listening: no reason was recorded.
      changes.push({ kind: "left", peer, reason: "timeout" });
      this.#remember(peer);
    }
    for (const [id, peer] of next) {
      const previous = this.#peers.get(id);
      if (!previous) changes.push({ kind: "joined", peer });
      else if (differs(previous, peer)) changes.push({ kind: "updated", peer, previous });
    }
    this.#peers = next;
    this.#epoch = message.epoch;
    this.#seq = message.seq;
    return changes;
  }

  /**
   * Applies a delta if it is the next one in sequence: it covers `from..seq`
   * (`seq` alone without `from`) and must start right after the last applied.
   */
  applyDelta(message: PeersDeltaMessage): DeltaOutcome {
    if (message.epoch !== this.#epoch) return { kind: "gap" };
    if (message.seq <= this.#seq) return { kind: "stale" };
    if ((message.from ?? message.seq) !== this.#seq + 1) return { kind: "gap" };
    this.#seq = message.seq;
    const changes: DirectoryChange[] = [];
    for (const change of message.changes) {
      if (change.op === "left") {
        const peer = this.#peers.get(change.id);
        this.#held.delete(change.id);
        if (peer && this.#peers.delete(change.id)) {
          changes.push({ kind: "left", peer, reason: change.reason });
          this.#remember(peer);
        }
        continue;
      }
      const peer = change.peer;
      if (peer.id === this.selfId) continue;
      if (!this.#acceptable(peer)) {
        // Whatever it was listed as before, it is not listed under this name.
        const dropped = this.#peers.get(peer.id);
        if (dropped && this.#peers.delete(peer.id)) {
          changes.push({ kind: "left", peer: dropped, reason: "timeout" });
          this.#remember(dropped);
        }
        continue;
      }
      const previous = this.#peers.get(peer.id);
      this.#peers.set(peer.id, peer);
      // A held peer that registered again is no news (unless it moved).
      this.#held.delete(peer.id);
      if (!previous) changes.push({ kind: "joined", peer });
      else if (differs(previous, peer)) changes.push({ kind: "updated", peer, previous });
    }
    return { kind: "applied", changes };
  }

  #acceptable(peer: PeerInfo): boolean {
    const problem = peer.name === normalizeName(peer.name)
      ? nameProblem(peer.name)
      : `Name ${JSON.stringify(peer.name)} is not in Unicode NFC`;
    if (problem === null) return true;
    this.#onRefusedName?.(peer, problem);
    return false;
  }

  #remember(peer: PeerInfo): void {
    this.#departed.delete(peer.id);
    this.#departed.set(peer.id, peer);
    if (this.#departed.size > DEPARTED_KEPT) {
      this.#departed.delete(this.#departed.keys().next().value!);
    }
  }
}

/** About the JSON bytes of one listed peer: its strings and the punctuation around them. */
function listedBytes(peer: PeerInfo): number {
  return peer.id.length + peer.name.length * 3 + peer.address.length + 32;
}

function findIn(peers: PeerInfo[], nameOrId: string): PeerInfo | undefined {
  const exact = peers.find((peer) => peer.id === nameOrId);
  if (exact) return exact;
  const key = nameKey(nameOrId);
  const named = peers.find((peer) => nameKey(peer.name) === key);
  if (named || nameOrId.length < MIN_ID_PREFIX) return named;
  const matches = peers.filter((peer) => peer.id.startsWith(nameOrId));
  return matches.length === 1 ? matches[0] : undefined;
}

/** How many departed peers are remembered for display. */
const DEPARTED_KEPT = 10_000;

function differs(a: PeerInfo, b: PeerInfo): boolean {
  return a.name !== b.name || a.address !== b.address;
}
