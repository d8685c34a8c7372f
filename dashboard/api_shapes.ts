/** The JSON the dashboard API returns, built from registry records. */

import type {
  ClusterView,
  PeerHistory,
  PeerRecord,
  RegistryEvent,
  RegistryInfo,
  RegistryStats,
} from "../registry/mod.ts";

/** A peer in `GET /api/peers` and in live events. */
export interface PeerJson {
  id: string;
  name: string;
  address: string;
  connectedAt: string;
  lastHeartbeatAt: string;
  heartbeatAgeMs: number;
  reconnects: number;
  version: string;
  heartbeats: number;
  /** In a cluster: the instance the peer is registered on. */
  instance?: string;
}

export function peerJson(record: PeerRecord, now: number): PeerJson {
  return {
    id: record.id,
    name: record.name,
    address: record.address,
    connectedAt: new Date(record.connectedAt).toISOString(),
    lastHeartbeatAt: new Date(record.lastHeartbeatAt).toISOString(),
    heartbeatAgeMs: Math.max(0, now - record.lastHeartbeatAt),
    reconnects: record.reconnects,
    version: record.version,
    heartbeats: record.heartbeats,
    ...(record.instance === undefined ? {} : { instance: record.instance }),
  };
}

/** `GET /api/cluster`: every instance and the engine, as this instance sees them. */
export function clusterJson(cluster: ClusterView, now: number) {
  return {
    instance: cluster.instance,
    list: cluster.list,
    instances: cluster.instances.map((instance) => ({
      name: instance.name,
      address: instance.address,
      peers: instance.peers,
      lastSeenMs: Math.max(0, now - instance.lastSeenAt),
      healthy: instance.healthy,
    })),
    engine: cluster.engine,
  };
}

/** `GET /api/stats`: counters plus the facts of this run. */
export function statsJson(stats: RegistryStats, info: RegistryInfo, now: number) {
  return {
    ...stats,
    epoch: info.epoch,
    version: info.version,
    protocol: info.protocol,
    listen: info.listen,
    startedAt: new Date(info.startedAt).toISOString(),
    uptimeMs: now - info.startedAt,
    heartbeatMs: info.heartbeatMs,
    evictAfter: info.evictAfter,
    maxPeers: info.maxPeers,
  };
}

/** An event-log entry with an ISO timestamp. */
export function eventJson(event: RegistryEvent) {
  return { ...event, at: new Date(event.at).toISOString() };
}

/** A peer's remembered past, with ISO timestamps. */
export function historyJson(history: PeerHistory) {
  const iso = (ms: number | undefined) => ms === undefined ? undefined : new Date(ms).toISOString();
  return {
    ...history,
    firstSeenAt: iso(history.firstSeenAt),
    lastHeartbeatAt: iso(history.lastHeartbeatAt),
    sessions: history.sessions.map((s) => ({
      ...s,
      connectedAt: iso(s.connectedAt),
      endedAt: iso(s.endedAt),
    })),
  };
}
