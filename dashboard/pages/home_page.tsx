/** `/`: totals, the peers table and the recent events, rendered on the server. */

import type {
  ClusterView,
  PeerRecord,
  RegistryEvent,
  RegistryInfo,
  RegistryStats,
} from "../../registry/mod.ts";
import { shortId } from "../../protocol/mod.ts";
import { formatAge, formatClock, formatDuration, heartbeatState } from "../assets/format.ts";
import { InstancesPanel } from "./instances_panel.tsx";
import type { NetworkChartModel } from "../network_chart.ts";
import { Layout } from "./layout.tsx";
import { NetworkChart } from "./network_chart.tsx";

/** Columns the table can be sorted by (also without JavaScript, via `?sort=`). */
export const SORT_KEYS = [
  "name",
  "address",
  "instance",
  "since",
  "age",
  "reconnects",
  "version",
] as const;
export type SortKey = typeof SORT_KEYS[number];

/** Everything the home page shows. */
export interface HomePageProps {
  info: RegistryInfo;
  stats: RegistryStats;
  peers: PeerRecord[];
  events: RegistryEvent[];
  now: number;
  filter: string;
  sort: SortKey;
  descending: boolean;
  /** Present on a cluster instance: the whole cluster is shown. */
  cluster?: ClusterView;
  /** The network chart, drawn by the registry, and the span it covers. */
  chart?: NetworkChartModel;
}

const COLUMNS: [SortKey | null, string][] = [
  ["name", "Name"],
  [null, "ID"],
  ["address", "Address"],
  ["instance", "Instance"],
  ["since", "Connected"],
  ["age", "Heartbeat"],
  ["reconnects", "Reconnects"],
  ["version", "Version"],
];

export function HomePage(props: HomePageProps) {
  const { info, stats, now, cluster } = props;
  // The Instance column exists only where instances do.
  const columns = cluster ? COLUMNS : COLUMNS.filter(([key]) => key !== "instance");
  const shown = sortPeers(
    props.peers.filter((p) => p.name.toLowerCase().includes(props.filter.toLowerCase())),
    props.sort,
    props.descending,
  );
  return (
    <Layout
      title={`p2pchat registry — ${stats.peersOnline} online`}
      info={info}
      now={now}
      cluster={cluster}
    >
      <h1>Registry overview</h1>
      <section class="totals" aria-label="Totals">
        <Total label="Online" stat="peersOnline" value={stats.peersOnline} />
        <Total
          label="Joined"
          stat="registrations"
          value={stats.registrations}
          hint="registrations since start"
        />
        <Total label="Left" stat="leaves.bye" value={stats.leaves.bye} hint="said bye" />
        <Total
          label="Lost"
          stat="leaves.timeout"
          value={stats.leaves.timeout}
          hint="went without a bye: connection dropped or evicted"
        />
        <Total label="Evicted" stat="evictions" value={stats.evictions} hint="missed heartbeats" />
        <Total label="Kicked" stat="leaves.kicked" value={stats.leaves.kicked} />
        <Total
          label="Reconnects"
          stat="peerReconnects"
          value={stats.peerReconnects}
          hint="re-registrations"
        />
        <Total
          label="Rejected frames"
          stat="framesRejected"
          value={stats.framesRejected}
          hint="frames or messages refused with an error"
        />
        <Total
          label="Failed handshakes"
          stat="handshakesFailed"
          value={stats.handshakesFailed}
          hint="connections refused before registering: bad proof of identity, timeout, garbage"
        />
        <Total
          label="Rate limited"
          stat="rateLimited"
          value={stats.rateLimited}
          hint="connections cut for exceeding a frame, registration or connection limit"
        />
        <Total
          label="Snapshots deferred"
          stat="snapshotsDeferred"
          value={stats.snapshotsDeferred}
          hint="full peer lists made to wait: one per peer per interval, a byte budget per IP"
        />
        <Total
          label="Accept failures"
          stat="acceptFailures"
          value={stats.acceptFailures}
          hint="connections that could not be accepted (out of file descriptors); serving went on"
        />
        <Total
          label="Punched"
          stat="punches.connected"
          value={stats.punches.connected}
          hint="hole punches that connected two peers behind NATs"
        />
        <Total
          label="Punches failed"
          stat="punches.failed"
          value={stats.punches.failed}
          hint="hole punch tries that did not connect (symmetric NAT, firewall)"
        />
        <Total
          label="Relay circuits"
          stat="relay.circuits"
          value={stats.relay.circuits}
          hint="links relayed now for peers that could not punch through (end-to-end encrypted)"
        />
        <Total
          label="Relayed bytes"
          stat="relay.bytes"
          value={stats.relay.bytes}
          hint="sealed link bytes relayed since start, both directions"
        />
        <div class="card">
          <span class="label">Uptime</span>
          <span class="value small" id="uptime">{formatDuration(now - info.startedAt)}</span>
        </div>
        <div class="card">
          <span class="label">Heartbeat</span>
          <span class="value small">{info.heartbeatMs} ms × {info.evictAfter}</span>
        </div>
      </section>

      {props.chart && <NetworkChart model={props.chart} />}

      <Limits info={info} />

      {cluster && <InstancesPanel cluster={cluster} now={now} />}

      <section class="peers" aria-label="Peers">
        <div class="toolbar">
          <form method="get" class="filter" role="search">
            <input
              id="filter"
              name="q"
              type="search"
              placeholder="Filter by name"
              aria-label="Filter peers by name"
              value={props.filter}
              autocomplete="off"
            />
            <input type="hidden" name="sort" value={props.sort} />
            {props.descending && <input type="hidden" name="dir" value="desc" />}
            <noscript>
              <button type="submit">Filter</button>
            </noscript>
          </form>
          <span id="peer-count" class="count">
            {shown.length} of {props.peers.length} shown
          </span>
          <form id="token-form" class="token" hidden>
            <input
              id="token"
              type="password"
              placeholder="Admin token"
              aria-label="Admin token, to enable kicking"
              autocomplete="off"
            />
            <button type="submit">Unlock</button>
            <span id="token-status" class="status" role="status" />
          </form>
        </div>
        <div class="table-wrap">
          <table id="peers-table">
            <thead>
              <tr>
                {columns.map(([key, label]) => (
                  <th
                    key={label}
                    scope="col"
                    data-sort={key ?? undefined}
                    aria-sort={ariaSort(key, props)}
                  >
                    {key ? <a href={sortLink(key, props)}>{label}</a> : label}
                  </th>
                ))}
                <th scope="col" class="actions">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody id="peers">
              {shown.map((peer) => (
                <PeerRow key={peer.id} peer={peer} info={info} now={now} cluster={!!cluster} />
              ))}
            </tbody>
          </table>
        </div>
        <p id="no-peers" class="empty" hidden={shown.length > 0}>
          {props.peers.length === 0 ? "No peers online." : "No peer matches the filter."}
        </p>
      </section>

      <section class="events" aria-label="Recent events">
        <h2>Recent events</h2>
        <ol id="events">
          {[...props.events].reverse().map((event) => <EventItem key={event.seq} event={event} />)}
        </ol>
      </section>
    </Layout>
  );
}

/** The limits against abuse in force, as docs/SECURITY.md names them. */
function Limits({ info }: { info: RegistryInfo }) {
  const l = info.limits;
  const rows: [string, string][] = [
    ["Frame size", `${l.maxFrameBytes} bytes`],
    ["Frames per connection", `${l.maxFramesPerSecond}/s (burst ${l.maxFramesPerSecond * 2})`],
    ["Bytes per connection", `${l.maxBytesPerSecond}/s (burst ${l.maxBytesPerSecond * 4})`],
    ["Time to register", `${l.registerTimeoutMs} ms`],
    ["Registrations per IP", `${l.registrationsPerMinutePerIp}/min`],
    ["Unregistered connections", `${l.maxUnregisteredPerIp} per IP, ${l.maxUnregistered} in all`],
    [
      "Peers per network",
      `${l.maxPeersPerNetwork} per /${l.networkPrefixes.ipv4} (IPv4), /${l.networkPrefixes.ipv6} (IPv6)`,
    ],
    ["Snapshots", `1 per peer per ${l.snapshotIntervalMs} ms`],
    ["Snapshot bytes per IP", `${l.snapshotBytesPerMinutePerIp}/min`],
    ["Peers online", `${info.maxPeers}`],
    [
      "Relay circuits",
      l.relayMaxCircuits === 0
        ? "off"
        : `${l.relayMaxCircuits}, closed after ${l.relayIdleMs} ms idle`,
    ],
    [
      "Relay rate",
      l.relayKbps === 0 ? "unlimited" : `${l.relayKbps} kbps per circuit and direction`,
    ],
  ];
  return (
    <details class="limits" aria-label="Limits">
      <summary>Limits against abuse</summary>
      <dl>
        {rows.map(([label, value]) => (
          <>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </>
        ))}
      </dl>
    </details>
  );
}

function Total(props: { label: string; stat: string; value: number; hint?: string }) {
  return (
    <div class="card" title={props.hint}>
      <span class="label">{props.label}</span>
      <span class="value" data-stat={props.stat}>{props.value}</span>
    </div>
  );
}

/** One table row; the browser script builds identical ones for new peers. */
export function PeerRow(
  { peer, info, now, cluster = false }: {
    peer: PeerRecord;
    info: RegistryInfo;
    now: number;
    cluster?: boolean;
  },
) {
  const age = now - peer.lastHeartbeatAt;
  return (
    <tr
      data-id={peer.id}
      data-name={peer.name}
      data-connected-at={peer.connectedAt}
      data-last-heartbeat-at={peer.lastHeartbeatAt}
      data-state={heartbeatState(age, info.heartbeatMs, info.evictAfter)}
    >
      <td class="name">
        <a href={`/peers/${peer.id}`}>{peer.name}</a>
      </td>
      <td class="id">
        <code title={peer.id}>{shortId(peer.id)}</code>
      </td>
      <td class="address">{peer.address}</td>
      {cluster && <td class="instance">{peer.instance ?? ""}</td>}
      <td class="since">
        <time
          datetime={new Date(peer.connectedAt).toISOString()}
          title={new Date(peer.connectedAt).toISOString()}
        >
          {formatDuration(now - peer.connectedAt)}
        </time>
      </td>
      <td class="age">{formatAge(age)}</td>
      <td class="reconnects">{peer.reconnects}</td>
      <td class="version">{peer.version}</td>
      <td class="actions" />
    </tr>
  );
}

export function EventItem({ event }: { event: RegistryEvent }) {
  return (
    <li data-kind={event.kind}>
      <time datetime={new Date(event.at).toISOString()}>{formatClock(event.at)}</time>{" "}
      <span class="kind">{event.kind}</span>{" "}
      {event.name !== undefined && <strong>{event.name}</strong>}{" "}
      {event.id !== undefined && <code title={event.id}>{shortId(event.id)}</code>}{" "}
      {event.address && <span class="address">{event.address}</span>}{" "}
      {event.detail && <span class="detail">{event.detail}</span>}
    </li>
  );
}

function sortPeers(peers: PeerRecord[], key: SortKey, descending: boolean): PeerRecord[] {
  const value = (p: PeerRecord): string | number => {
    switch (key) {
      case "name":
        return p.name.toLowerCase();
      case "address":
        return p.address;
      case "instance":
        return p.instance ?? "";
      case "since":
        return p.connectedAt;
      case "age":
        return -p.lastHeartbeatAt;
      case "reconnects":
        return p.reconnects;
      case "version":
        return p.version;
    }
  };
  const sorted = [...peers].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    return x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name);
  });
  return descending ? sorted.reverse() : sorted;
}

function sortLink(key: SortKey, props: HomePageProps): string {
  const descending = props.sort === key && !props.descending;
  const params = new URLSearchParams({ sort: key });
  if (descending) params.set("dir", "desc");
  if (props.filter) params.set("q", props.filter);
  return `?${params}`;
}

function ariaSort(key: SortKey | null, props: HomePageProps) {
  if (key === null || key !== props.sort) return undefined;
  return props.descending ? "descending" : "ascending";
}
