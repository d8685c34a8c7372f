import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { HomePage } from "../../dashboard/pages/home_page.tsx";
import { PeerPage } from "../../dashboard/pages/peer_page.tsx";
import type { PeerRecord, RegistryInfo, RegistryStats } from "../../registry/mod.ts";
import { keepAlive } from "../../sim/mod.ts";
import { HEARTBEAT_MS, peerRows, registeredPeer, startDashboard } from "./dashboard_fixture.ts";

const IMG = "<img src=x onerror=alert(1)>";
const BREAKOUT = `"><script>alert(1)</script>`;

/** Asserts `html` shows `text` escaped and never as markup. */
function assertEscaped(html: string, where: string): void {
  assert.ok(html.includes("&lt;img src=x onerror=alert(1)"), `${where}: the text is shown escaped`);
  assert.ok(!html.includes("<img src=x"), `${where}: no <img> element is injected`);
  assert.ok(!/<script>alert/.test(html), `${where}: no <script> element is injected`);
}

Deno.test("a client string full of markup is shown as text on the home page and the peer page", async () => {
  await using dashboard = await startDashboard();
  await using mallory = await registeredPeer(dashboard.registry, "mallory", { client: IMG });
  using _beat = keepAlive([mallory], HEARTBEAT_MS / 2);

  const home = await dashboard.html("/");
  assertEscaped(home, "home page");
  assert.equal(peerRows(home)[0].cells.version, IMG, "shown exactly as the peer sent it");
  assertEscaped(await dashboard.html(`/peers/${mallory.identity.id}`), "peer page");

  const api = await dashboard.json<{ peers: { version: string }[] }>("/api/peers");
  assert.equal(api.peers[0].version, IMG, "the API returns the string unchanged");
});

Deno.test("markup in the filter or in an unknown peer ID is echoed back as text", async () => {
  await using dashboard = await startDashboard();

  const filtered = await dashboard.html(`/?q=${encodeURIComponent(BREAKOUT + IMG)}`);
  assertEscaped(filtered, "filtered home page");
  assert.ok(!filtered.includes(`value=""><script>`), "the filter cannot close its attribute");

  const unknown = await dashboard.html(`/peers/${encodeURIComponent(BREAKOUT + IMG)}`, 404);
  assertEscaped(unknown, "unknown peer page");
});

const INFO: RegistryInfo = {
  version: "0.1.0",
  protocol: 1,
  epoch: "test-epoch",
  startedAt: 1_700_000_000_000,
  listen: "127.0.0.1:7070",
  heartbeatMs: 2000,
  evictAfter: 3,
  maxPeers: 100,
  limits: {
    maxFrameBytes: 4096,
    maxFramesPerSecond: 50,
    maxBytesPerSecond: 8192,
    registerTimeoutMs: 10_000,
    registrationsPerMinutePerIp: 600,
    maxUnregisteredPerIp: 256,
    maxUnregistered: 1024,
    maxPeersPerNetwork: 256,
    networkPrefixes: { ipv4: 24, ipv6: 64 },
    snapshotIntervalMs: 30_000,
    snapshotBytesPerMinutePerIp: 64 * 1024 * 1024,
    relayMaxCircuits: 1000,
    relayKbps: 1024,
    relayIdleMs: 120_000,
  },
};

const STATS: RegistryStats = {
  peersOnline: 2,
  connectionsOpen: 2,
  connectionsAccepted: 2,
  registrations: 2,
  sessionReplacements: 0,
  peerReconnects: 0,
  registrationsRefused: 0,
  leaves: { bye: 0, timeout: 0, kicked: 0 },
  evictions: 0,
  heartbeats: 0,
  framesRejected: 0,
  handshakesFailed: 0,
  rateLimited: 0,
  deltasSent: 0,
  snapshotsSent: 0,
  snapshotsDeferred: 0,
  deltaResumes: 0,
  acceptFailures: 0,
  punches: { connected: 0, failed: 0, declined: 0, unavailable: 0 },
  relay: { circuits: 0, circuitsOpened: 0, circuitsRefused: 0, bytes: 0, throttled: 0 },
};

function record(id: string, name: string): PeerRecord {
  return {
    id,
    name,
    publicKey: "AAAA",
    address: `${IMG}:1`,
    remoteAddress: "127.0.0.1",
    network: "127.0.0.0/24",
    connectedAt: INFO.startedAt,
    lastHeartbeatAt: INFO.startedAt,
    reconnects: 0,
    version: IMG,
    heartbeats: 0,
  };
}

Deno.test("the home page escapes hostile names itself instead of trusting the registry's validation", () => {
  const peers = [record("p".repeat(52), IMG), record("q".repeat(52), BREAKOUT)];
  const html = renderToString(
    <HomePage
      info={INFO}
      stats={STATS}
      peers={peers}
      events={[{
        seq: 1,
        at: INFO.startedAt,
        kind: "join",
        id: peers[0].id,
        name: IMG,
        detail: IMG,
      }]}
      now={INFO.startedAt + 100}
      filter=""
      sort="name"
      descending={false}
    />,
  );
  assertEscaped(html, "rendered home page");
  assert.ok(!html.includes(`data-name=""><script>`), "a name cannot close its attribute");
  assert.deepEqual(peerRows(html).map((r) => r.name).sort(), [BREAKOUT, IMG].sort());
  assert.deepEqual(peerRows(html).map((r) => r.cells.name).sort(), [BREAKOUT, IMG].sort());
});

Deno.test("the peer page escapes a hostile name, address and client string", () => {
  const peer = record("p".repeat(52), IMG);
  const html = renderToString(
    <PeerPage
      info={INFO}
      id={peer.id}
      peer={peer}
      history={{
        id: peer.id,
        name: IMG,
        firstSeenAt: INFO.startedAt,
        sessions: [{ connectedAt: INFO.startedAt, address: IMG, reconnects: 0, version: IMG }],
        heartbeatIntervals: [2000],
      }}
      events={[]}
      now={INFO.startedAt + 100}
    />,
  );
  assertEscaped(html, "rendered peer page");
  assert.match(html, /<title>&lt;img src=x onerror=alert\(1\)/);
});
