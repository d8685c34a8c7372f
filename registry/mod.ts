/**
 * The registry role: knows who is online and where they listen. Peers
 * register with a signed challenge, heartbeat, and receive the peer list as a
 * snapshot followed by deltas. Others read its state through
 * {@linkcode RegistryView}; nothing outside this folder touches its internals.
 *
 * @module
 */

export { Registry, type RegistryOptions } from "./registry.ts";
export { DEFAULT_NETWORK_PREFIXES, networkOf, type NetworkPrefixes } from "./limits/mod.ts";
export { ClusterJoinError, isWildcard } from "./cluster_join.ts";
export { clusterUrlProblem, redactedClusterUrl } from "./cluster_url.ts";
export {
  type ClusterOptions,
  instanceTtlMs,
  MOVE_GRACE_MS,
  type RosterPeer,
  type SharedRoster,
} from "./shared_roster.ts";
export type { PeerHistory, SessionEnd, SessionRecord } from "./peer_history.ts";
export type { PunchStats, RelayLimits, RelayStats } from "./rendezvous/mod.ts";
export type {
  ClusterView,
  EngineStatus,
  InstanceStatus,
  PeerRecord,
  RegistryChange,
  RegistryEvent,
  RegistryEventKind,
  RegistryInfo,
  RegistryLimits,
  RegistryStats,
  RegistryView,
} from "./view.ts";
