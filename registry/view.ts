/**
 * What the registry lets others (the dashboard, tests, benchmarks) see of it:
 * plain data copies and a change feed. Nothing here can alter registry state
 * except {@linkcode RegistryView.kick}, which goes through the same path as
 * any other departure.
 */

import type { LeaveReason, ListPosition } from "../protocol/mod.ts";
import type { PeerHistory } from "./peer_history.ts";
import type { PunchStats, RelayStats } from "./rendezvous/mod.ts";

/** One online peer, as the registry knows it. */
export interface PeerRecord {
  id: string;
  name: string;
  /** Raw Ed25519 public key, base64. */
  publicKey: string;
  /** The published `HOST:PORT`: observed IP + advertised port, or `--advertise`. */
  address: string;
  /** The IP the connection actually came from. */
  remoteAddress: string;
  /**
   * Its network, as the per-network limit counts it (`203.0.113.0/24`);
   * absent for peers registered on another instance of a cluster.
   */
  network?: string;
  /** When this session registered (ms since the epoch). */
  connectedAt: number;
  lastHeartbeatAt: number;
  /** Re-registrations the peer reports since it started. */
  reconnects: number;
  /** The client's own version string, e.g. `p2pchat/0.1.0`. */
  version: string;
  /**
   * Heartbeats received in this session (0 for a peer registered on another
   * cluster instance: only its own instance counts them).
   */
  heartbeats: number;
  /**
   * In a cluster: the instance the peer is registered on. For peers on other
   * instances, `lastHeartbeatAt` is when that instance last showed it was
   * alive (it evicts its own silent peers).
   */
  instance?: string;
}

/** Counters since the registry started. */
export interface RegistryStats {
  /** Peers on the list (in a cluster: on every instance). */
  peersOnline: number;
  connectionsOpen: number;
  connectionsAccepted: number;
  registrations: number;
  /** Registrations of an ID whose earlier session was still open. */
  sessionReplacements: number;
  /** Registrations by peers that had lost the registry before (reported reconnects > 0). */
  peerReconnects: number;
  registrationsRefused: number;
  leaves: { bye: number; timeout: number; kicked: number };
  evictions: number;
  heartbeats: number;
  framesRejected: number;
  /** Connections refused before they completed registration (bad proof, timeout, garbage). */
  handshakesFailed: number;
  /** Connections cut for exceeding a rate or connection limit. */
  rateLimited: number;
  deltasSent: number;
  snapshotsSent: number;
  /** Snapshot requests made to wait (one per session per interval, bytes per IP per minute). */
  snapshotsDeferred: number;
  /** Peers that caught up with the deltas they missed instead of a snapshot. */
  deltaResumes: number;
  /** Failed attempts to accept a connection (EMFILE and the like); serving went on. */
  acceptFailures: number;
  /** Hole punch tries by outcome, as the requesting peers report them. */
  punches: PunchStats;
  /** Relay circuits and the bytes they carried. */
  relay: RelayStats;
}

/** The limits this registry enforces (see docs/SECURITY.md). */
export interface RegistryLimits {
  maxFrameBytes: number;
  maxFramesPerSecond: number;
  maxBytesPerSecond: number;
  registerTimeoutMs: number;
  registrationsPerMinutePerIp: number;
  maxUnregisteredPerIp: number;
  maxUnregistered: number;
  maxPeersPerNetwork: number;
  networkPrefixes: { ipv4: number; ipv6: number };
  snapshotIntervalMs: number;
  snapshotBytesPerMinutePerIp: number;
  /** Relay circuits open at once; 0 with `--no-relay`. */
  relayMaxCircuits: number;
  /** Rate per relay circuit and direction, kilobits per second (0: unlimited). */
  relayKbps: number;
  relayIdleMs: number;
}

/** Fixed facts about this registry run. */
export interface RegistryInfo {
  version: string;
  protocol: number;
  /** Changes on every start; peers use it to notice a restart. */
  epoch: string;
  startedAt: number;
  /** Where peers connect, as actually bound. */
  listen: string;
  heartbeatMs: number;
  evictAfter: number;
  maxPeers: number;
  limits: RegistryLimits;
}

/** Kinds of entry in the event log. */
export type RegistryEventKind = "join" | "rejoin" | "leave" | "evict" | "kick" | "refuse";

/** One entry of the bounded event log. */
export interface RegistryEvent {
  /** Increases by one per event; lets readers resume after a gap. */
  seq: number;
  at: number;
  kind: RegistryEventKind;
  id?: string;
  name?: string;
  address?: string;
  /** Human-readable detail, e.g. the leave reason or why a peer was refused. */
  detail?: string;
}

/** What subscribers to {@linkcode RegistryView.subscribe} are told. */
export type RegistryChange =
  | { kind: "joined"; peer: PeerRecord }
  | { kind: "updated"; peer: PeerRecord }
  | { kind: "left"; peer: PeerRecord; reason: LeaveReason }
  | { kind: "heartbeat"; peer: PeerRecord }
  | { kind: "event"; event: RegistryEvent };

/** One instance of the cluster, as the shared table last saw it. */
export interface InstanceStatus {
  name: string;
  /** Where peers dial it. */
  address: string;
  /** Peers registered on it. */
  peers: number;
  /** When it last wrote its liveness (ms since the Unix epoch). */
  lastSeenAt: number;
  healthy: boolean;
}

/** Whether the engine under the shared table (Redis) answers. */
export interface EngineStatus {
  status: "up" | "down";
  /** Why it is down, when it is. */
  reason?: string;
}

/** A cluster instance's view of its cluster. */
export interface ClusterView {
  /** This instance's name. */
  instance: string;
  /** Where peers dial it. */
  announce: string;
  /** Peers registered on this instance. */
  peersHere: number;
  /** The shared list's epoch and the last sequence number applied here. */
  list: ListPosition;
  instances: InstanceStatus[];
  engine: EngineStatus;
}

/** The registry's read interface. */
export interface RegistryView {
  info(): RegistryInfo;
  stats(): RegistryStats;
  /** Online peers, oldest session first. Copies: safe to keep. */
  peers(): PeerRecord[];
  peer(id: string): PeerRecord | undefined;
  /** Sessions and heartbeat rhythm of a peer seen recently (online or not). */
  peerHistory(id: string): PeerHistory | undefined;
  /** The newest `limit` events, oldest first. */
  recentEvents(limit?: number): RegistryEvent[];
  /** Calls `listener` for every change until the returned function is called. */
  subscribe(listener: (change: RegistryChange) => void): () => void;
  /**
   * Disconnects a peer; everyone sees it leave with reason `kicked`. In a
   * cluster it works for peers on any instance, and answers asynchronously.
   */
  kick(id: string): boolean | Promise<boolean>;
  /** The cluster this registry is an instance of; absent or undefined for a single registry. */
  cluster?(): ClusterView | undefined;
}
