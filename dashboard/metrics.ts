/** The registry's counters in Prometheus text exposition format (0.0.4). */

import type { ClusterView, RegistryInfo, RegistryStats } from "../registry/mod.ts";

interface Metric {
  name: string;
  type: "counter" | "gauge";
  help: string;
  samples: [labels: Record<string, string>, value: number][];
}

/** The dashboard's own counters, beside the registry's. */
export interface DashboardCounters {
  /** Live streams (`/api/events`) open now. */
  liveStreams: number;
  /** Live streams refused because the cap was reached. */
  liveStreamsRefused: number;
}

/** What else the metrics may show. */
export interface MetricsOptions {
  now?: number;
  /** In a cluster: its instances and engine. */
  cluster?: ClusterView;
  /** The dashboard's live streams. */
  dashboard?: DashboardCounters;
}

/** Renders every metric, named `p2pchat_*`. */
export function renderMetrics(
  stats: RegistryStats,
  info: RegistryInfo,
  options: MetricsOptions | number = {},
): string {
  const { now = Date.now(), cluster, dashboard = { liveStreams: 0, liveStreamsRefused: 0 } } =
    typeof options === "number" ? { now: options } : options;
  const one = (value: number): Metric["samples"] => [[{}, value]];
  const metrics: Metric[] = [
    {
      name: "p2pchat_peers_online",
      type: "gauge",
      help: "Peers currently registered.",
      samples: one(stats.peersOnline),
    },
    {
      name: "p2pchat_connections_open",
      type: "gauge",
      help: "Open TCP connections from peers, registered or not.",
      samples: one(stats.connectionsOpen),
    },
    {
      name: "p2pchat_connections_accepted_total",
      type: "counter",
      help: "TCP connections accepted.",
      samples: one(stats.connectionsAccepted),
    },
    {
      name: "p2pchat_registrations_total",
      type: "counter",
      help: "Successful registrations, reconnects included.",
      samples: one(stats.registrations),
    },
    {
      name: "p2pchat_registrations_refused_total",
      type: "counter",
      help: "Registrations refused (name taken, bad signature, full, ...).",
      samples: one(stats.registrationsRefused),
    },
    {
      name: "p2pchat_peer_reconnects_total",
      type: "counter",
      help: "Registrations by peers that had lost the registry before.",
      samples: one(stats.peerReconnects),
    },
    {
      name: "p2pchat_session_replacements_total",
      type: "counter",
      help: "Registrations that replaced a still-open session of the same peer.",
      samples: one(stats.sessionReplacements),
    },
    {
      name: "p2pchat_leaves_total",
      type: "counter",
      help: "Peers that left the list, by reason.",
      samples: [
        [{ reason: "bye" }, stats.leaves.bye],
        [{ reason: "timeout" }, stats.leaves.timeout],
        [{ reason: "kicked" }, stats.leaves.kicked],
      ],
    },
    {
      name: "p2pchat_evictions_total",
      type: "counter",
      help: "Peers evicted for missing heartbeats.",
      samples: one(stats.evictions),
    },
    {
      name: "p2pchat_heartbeats_total",
      type: "counter",
      help: "Heartbeats received.",
      samples: one(stats.heartbeats),
    },
    {
      name: "p2pchat_frames_rejected_total",
      type: "counter",
      help: "Frames or messages refused with an error frame.",
      samples: one(stats.framesRejected),
    },
    {
      name: "p2pchat_handshakes_failed_total",
      type: "counter",
      help: "Connections refused before completing registration (bad proof, timeout, garbage).",
      samples: one(stats.handshakesFailed),
    },
    {
      name: "p2pchat_rate_limited_total",
      type: "counter",
      help: "Connections cut for exceeding a frame, registration or connection limit.",
      samples: one(stats.rateLimited),
    },
    {
      name: "p2pchat_deltas_sent_total",
      type: "counter",
      help: "Peer-list delta frames written (one per receiving peer).",
      samples: one(stats.deltasSent),
    },
    {
      name: "p2pchat_snapshots_sent_total",
      type: "counter",
      help: "Peer-list snapshots sent.",
      samples: one(stats.snapshotsSent),
    },
    {
      name: "p2pchat_snapshots_deferred_total",
      type: "counter",
      help: "Snapshot requests made to wait (per-session interval, per-IP byte budget).",
      samples: one(stats.snapshotsDeferred),
    },
    {
      name: "p2pchat_delta_resumes_total",
      type: "counter",
      help: "Peers caught up with the deltas they missed instead of a snapshot.",
      samples: one(stats.deltaResumes),
    },
    {
      name: "p2pchat_accept_failures_total",
      type: "counter",
      help: "Failed accept() calls (EMFILE and the like); serving went on.",
      samples: one(stats.acceptFailures),
    },
    {
      name: "p2pchat_limit",
      type: "gauge",
      help: "The limits against abuse in force (docs/SECURITY.md), by name.",
      samples: limitSamples(info),
    },
    {
      name: "p2pchat_dashboard_sse_clients",
      type: "gauge",
      help: "Live dashboard streams (GET /api/events) open now.",
      samples: one(dashboard.liveStreams),
    },
    {
      name: "p2pchat_dashboard_sse_refused_total",
      type: "counter",
      help: "Live dashboard streams refused with 503 because --max-sse-clients were open.",
      samples: one(dashboard.liveStreamsRefused),
    },
    {
      name: "p2pchat_punch_attempts_total",
      type: "counter",
      help: "Hole punch tries, by result (unavailable: the registry could not arrange one).",
      samples: (["connected", "failed", "declined", "unavailable"] as const).map((
        result,
      ) => [{ result }, stats.punches[result]]),
    },
    {
      name: "p2pchat_relay_circuits",
      type: "gauge",
      help: "Relay circuits open now.",
      samples: one(stats.relay.circuits),
    },
    {
      name: "p2pchat_relay_circuits_opened_total",
      type: "counter",
      help: "Relay circuits the target peer accepted.",
      samples: one(stats.relay.circuitsOpened),
    },
    {
      name: "p2pchat_relay_circuits_refused_total",
      type: "counter",
      help: "Relay circuits refused (relaying off, full, target offline or refusing).",
      samples: one(stats.relay.circuitsRefused),
    },
    {
      name: "p2pchat_relay_bytes_total",
      type: "counter",
      help: "Bytes relayed, both directions (sealed link frames: content is not visible here).",
      samples: one(stats.relay.bytes),
    },
    {
      name: "p2pchat_relay_throttled_total",
      type: "counter",
      help: "Times a relay circuit's bytes had to wait for its rate limit.",
      samples: one(stats.relay.throttled),
    },
    {
      name: "p2pchat_uptime_seconds",
      type: "gauge",
      help: "Seconds since the registry started.",
      samples: one(Math.floor((now - info.startedAt) / 1000)),
    },
    {
      name: "p2pchat_info",
      type: "gauge",
      help: "Version, protocol and epoch of this registry run.",
      samples: [[{ version: info.version, protocol: String(info.protocol), epoch: info.epoch }, 1]],
    },
  ];
  if (cluster) metrics.push(...clusterMetrics(cluster));
  const lines: string[] = [];
  for (const metric of metrics) {
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`);
    for (const [labels, value] of metric.samples) {
      lines.push(`${metric.name}${formatLabels(labels)} ${value}`);
    }
  }
  return lines.join("\n") + "\n";
}

function clusterMetrics(cluster: ClusterView): Metric[] {
  return [
    {
      name: "p2pchat_cluster_instances",
      type: "gauge",
      help: "Cluster instances seen recently, by health.",
      samples: [
        [{ healthy: "true" }, cluster.instances.filter((i) => i.healthy).length],
        [{ healthy: "false" }, cluster.instances.filter((i) => !i.healthy).length],
      ],
    },
    {
      name: "p2pchat_cluster_engine_up",
      type: "gauge",
      help: "1 while the cluster engine (Redis) answers, 0 while it does not.",
      samples: [[{}, cluster.engine.status === "up" ? 1 : 0]],
    },
    {
      name: "p2pchat_cluster_peers_here",
      type: "gauge",
      help: "Peers registered on this instance (p2pchat_peers_online counts the whole cluster).",
      samples: [[{ instance: cluster.instance }, cluster.peersHere]],
    },
  ];
}

function limitSamples(info: RegistryInfo): Metric["samples"] {
  const { networkPrefixes, ...numbers } = info.limits;
  return [
    ...Object.entries(numbers).map(([name, value]): [Record<string, string>, number] => [
      { name },
      value,
    ]),
    [{ name: "maxPeers" }, info.maxPeers],
    [{ name: "ipv4NetworkPrefix" }, networkPrefixes.ipv4],
    [{ name: "ipv6NetworkPrefix" }, networkPrefixes.ipv6],
  ];
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  const escaped = entries.map(([key, value]) =>
    `${key}="${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`
  );
  return `{${escaped.join(",")}}`;
}
