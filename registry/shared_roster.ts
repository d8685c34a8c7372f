/**
 * What a registry needs from a peer table it shares with other registries
 * (a cluster), and what that table tells it back. The registry keeps its own
 * sessions, heartbeats and evictions; the shared table decides who holds an
 * ID and a name cluster-wide, orders every change into one sequence, and
 * publishes the list to this registry's peers. `registry/cluster/` implements
 * it on Redis; without `--cluster` none of this is loaded.
 */

import type { LeaveReason, ListPosition } from "../protocol/mod.ts";
import type { ListSubscriber } from "./peer_list_publisher.ts";
import type { MeetingBus } from "./rendezvous/mod.ts";
import type { EngineStatus, InstanceStatus, PeerRecord } from "./view.ts";

/** How a registry joins a cluster. */
export interface ClusterOptions {
  /** `redis://[user:pass@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** This instance's name on dashboards. Default: its announced address. */
  instance?: string;
  /** `HOST:PORT` peers should dial for this instance. Default: the bound address. */
  announce?: string;
}

/** A peer online somewhere in the cluster. */
export interface RosterPeer {
  record: PeerRecord;
  /** Name of the instance the peer is registered on. */
  instance: string;
  /** When that instance last showed it was alive (ms since the Unix epoch). */
  vouchedAt: number;
}

/** A change to the shared list, anywhere in the cluster. */
export type RosterChange =
  | { kind: "joined" | "updated"; peer: RosterPeer }
  | { kind: "left"; peer: RosterPeer; reason: LeaveReason };

/** Why this registry's session for a peer no longer owns the peer's entry. */
export type DisownReason =
  /** An operator kicked the peer from another instance's dashboard. */
  | "kicked"
  /** The same peer registered again on another instance (it moved). */
  | "replaced"
  /** This instance was silent too long and its peers were taken off the list. */
  | "expired"
  /** After the engine lost its state, another instance's peer claimed the name first. */
  | "conflict";

/** What the shared table calls back into the registry. */
export interface RosterHost {
  /** The list changed (for dashboards). */
  changed(change: RosterChange): void;
  /**
   * The session holding `token` lost its peer's entry (it is gone, or held
   * by another session now): end that session without releasing anything.
   */
  disowned(id: string, token: string, reason: DisownReason): void;
}

/** A peer table shared by several registries. */
export interface SharedRoster {
  /** This instance's name. */
  readonly instance: string;
  /** Where peers dial this instance. */
  readonly announce: string;
  /**
   * Carries punch and relay messages to the other instances, so a peer's
   * link can be punched or relayed to a peer registered elsewhere.
   */
  readonly meetings?: MeetingBus;
  /** Starts the calls into `host`; called once, before anything is claimed. */
  attach(host: RosterHost): void;
  /**
   * Claims `record`'s ID and name for a session of this instance; resolves
   * with the session's token, which fences every later write for it.
   * Rejects with a `ProtocolError`: `name_taken`, or `cluster_unavailable`
   * while the engine is down.
   */
  claim(record: PeerRecord): Promise<string>;
  /** Gives up the claim `token` holds on `id`; no effect if another session holds it now. */
  release(id: string, token: string, reason: LeaveReason): void;
  /**
   * Takes a peer off the list wherever it is registered; resolves `false`
   * if it is not online. Rejects with a `ProtocolError` `cluster_unavailable`
   * while the engine is down.
   */
  kick(id: string): Promise<boolean>;
  /** Sends `subscriber` the list (a snapshot, or the deltas after `resume`), then deltas. */
  subscribe(subscriber: ListSubscriber, resume?: ListPosition): void;
  unsubscribe(subscriber: ListSubscriber): void;
  /** Every peer online in the cluster, oldest registration first. */
  peers(): RosterPeer[];
  peer(id: string): RosterPeer | undefined;
  readonly size: number;
  /** The list's epoch and last sequence number applied here. */
  position(): ListPosition;
  /** Instances, healthy or recently seen. */
  instances(): InstanceStatus[];
  /** Addresses of the healthy instances (this one included), for the welcome. */
  liveAddresses(): string[];
  engine(): EngineStatus;
  /** Stops reading and writing; claims held here stay until they expire. */
  close(): Promise<void>;
}

/**
 * How long an instance may stay silent before its peers are taken off the
 * list: long enough for its peers to notice it is gone (at most
 * `evictAfter + 1` heartbeat intervals of silence), wait their first backoff
 * and register elsewhere — the grace window in which a moving peer is never
 * reported as having left.
 */
export function instanceTtlMs(heartbeatMs: number, evictAfter: number): number {
  return (evictAfter + 1) * heartbeatMs + 2000;
}

/**
 * How long the peers of an instance whose deadline passed stay listed
 * before the ones that did not register elsewhere are reported left. The
 * deadline ({@linkcode instanceTtlMs}) covers noticing the loss and the
 * first retry; a peer whose first try elsewhere fails (an instance too busy
 * with everyone moving at once, or full) then waits up to its longest
 * reconnect backoff — 10 s by default (`--reconnect-max-ms`) — and must
 * still not be seen leaving. The same reasoning gives a peer's own rejoin
 * window (`peer/rejoin_window.ts`) its `reconnectMaxMs`.
 */
export const MOVE_GRACE_MS = 10_000;
