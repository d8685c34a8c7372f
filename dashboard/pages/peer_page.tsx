/** `/peers/:id`: one peer's identity, address, sessions and heartbeat rhythm. */

import type { PeerHistory, PeerRecord, RegistryEvent, RegistryInfo } from "../../registry/mod.ts";
import { formatAge, formatClock, formatDuration, heartbeatState } from "../assets/format.ts";
import { EventItem } from "./home_page.tsx";
import { HeartbeatSparkline } from "./heartbeat_sparkline.tsx";
import { Layout } from "./layout.tsx";

/** What the peer page shows; `peer` is absent once the peer went offline. */
export interface PeerPageProps {
  info: RegistryInfo;
  id: string;
  peer?: PeerRecord;
  history?: PeerHistory;
  events: RegistryEvent[];
  now: number;
}

export function PeerPage({ info, id, peer, history, events, now }: PeerPageProps) {
  const name = peer?.name ?? history?.name ?? id;
  const age = peer ? now - peer.lastHeartbeatAt : undefined;
  return (
    <Layout title={`${name} — p2pchat registry`} info={info} now={now}>
      <p class="crumbs">
        <a href="/">← all peers</a>
      </p>
      <section class="peer-detail" data-peer-id={id}>
        <h1>
          {name}{" "}
          <span class={`badge ${peer ? "online" : "offline"}`}>{peer ? "online" : "offline"}</span>
        </h1>
        <dl>
          <dt>Peer ID</dt>
          <dd>
            <code class="full-id">{id}</code>
          </dd>
          {peer && (
            <>
              <dt>Public key</dt>
              <dd>
                <code>{peer.publicKey}</code>
              </dd>
              <dt>Published address</dt>
              <dd>{peer.address}</dd>
              <dt>Connection from</dt>
              <dd>{peer.remoteAddress}</dd>
              <dt>Client</dt>
              <dd>{peer.version}</dd>
              <dt>Connected</dt>
              <dd>
                {formatDuration(now - peer.connectedAt)} ago, at{" "}
                {new Date(peer.connectedAt).toISOString()}
              </dd>
              <dt>Heartbeat age</dt>
              <dd data-state={heartbeatState(age!, info.heartbeatMs, info.evictAfter)}>
                {formatAge(age!)} ({peer.heartbeats} heartbeats this session)
              </dd>
              <dt>Reconnects</dt>
              <dd>{peer.reconnects}</dd>
            </>
          )}
          {history && (
            <>
              <dt>First seen</dt>
              <dd>{new Date(history.firstSeenAt).toISOString()}</dd>
            </>
          )}
        </dl>
      </section>

      {history && history.heartbeatIntervals.length > 0 && (
        <section class="rhythm" aria-label="Recent heartbeat intervals">
          <h2>Recent heartbeat intervals</h2>
          <HeartbeatSparkline
            intervals={history.heartbeatIntervals}
            heartbeatMs={info.heartbeatMs}
            evictAfter={info.evictAfter}
          />
          <p class="hint">
            Announced interval: {info.heartbeatMs} ms; eviction after {info.evictAfter} missed.
          </p>
        </section>
      )}

      {history && (
        <section class="sessions" aria-label="Sessions">
          <h2>Sessions</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Registered</th>
                <th scope="col">Ended</th>
                <th scope="col">How</th>
                <th scope="col">Address</th>
                <th scope="col">Reconnects</th>
                <th scope="col">Client</th>
              </tr>
            </thead>
            <tbody>
              {[...history.sessions].reverse().map((s) => (
                <tr key={s.connectedAt}>
                  <td>
                    <time datetime={new Date(s.connectedAt).toISOString()}>
                      {formatClock(s.connectedAt)}
                    </time>
                  </td>
                  <td>{s.endedAt === undefined ? "—" : formatClock(s.endedAt)}</td>
                  <td>{s.endReason ?? "online"}</td>
                  <td>{s.address}</td>
                  <td>{s.reconnects}</td>
                  <td>{s.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section class="events" aria-label="Events for this peer">
        <h2>Events</h2>
        <ol>
          {events.length === 0
            ? <li>None remembered.</li>
            : [...events].reverse().map((e) => <EventItem key={e.seq} event={e} />)}
        </ol>
      </section>
    </Layout>
  );
}

export function NotFoundPage({ info, id, now }: { info: RegistryInfo; id: string; now: number }) {
  return (
    <Layout title="Unknown peer — p2pchat registry" info={info} now={now}>
      <p class="crumbs">
        <a href="/">← all peers</a>
      </p>
      <h1>Unknown peer</h1>
      <p>
        No peer with ID <code>{id}</code> is online or remembered by this registry run.
      </p>
    </Layout>
  );
}
