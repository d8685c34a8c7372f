import assert from "node:assert/strict";
import { APP_VERSION, PROTOCOL_VERSION } from "../../protocol/mod.ts";
import type { PeerJson } from "../../dashboard/mod.ts";
import { keepAlive } from "../../sim/mod.ts";
import {
  EVICT_AFTER,
  HEARTBEAT_MS,
  playScenario,
  registeredPeer,
  startDashboard,
} from "./dashboard_fixture.ts";

const PEER_FIELDS = [
  "address",
  "connectedAt",
  "heartbeatAgeMs",
  "heartbeats",
  "id",
  "lastHeartbeatAt",
  "name",
  "reconnects",
  "version",
];
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

Deno.test("GET /api/peers lists every online peer with exactly the documented fields", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  const registeredFrom = Date.now();
  await using alice = await registeredPeer(registry, "alice", { listenPort: 4001 });
  await using bob = await registeredPeer(registry, "bob", {
    listenPort: 4002,
    reconnects: 3,
    client: "p2pchat-test/9.9.9",
  });
  const registeredUntil = Date.now();
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  for (let i = 0; i < 3; i++) await bob.heartbeat();

  const before = Date.now();
  const body = await dashboard.json<{ peers: PeerJson[] }>("/api/peers");
  const after = Date.now();

  assert.deepEqual(Object.keys(body), ["peers"]);
  assert.deepEqual(body.peers.map((p) => p.name), ["alice", "bob"], "oldest session first");
  for (const peer of body.peers) {
    assert.deepEqual(Object.keys(peer).sort(), PEER_FIELDS, `fields of ${peer.name}`);
    assert.match(peer.connectedAt, ISO_TIME);
    assert.match(peer.lastHeartbeatAt, ISO_TIME);
    const connectedAt = Date.parse(peer.connectedAt);
    assert.ok(
      connectedAt >= registeredFrom && connectedAt <= registeredUntil,
      `${peer.name} connected at ${peer.connectedAt}, during registration`,
    );
    const lastHeartbeatAt = Date.parse(peer.lastHeartbeatAt);
    assert.ok(lastHeartbeatAt >= connectedAt);
    assert.ok(
      peer.heartbeatAgeMs >= before - lastHeartbeatAt &&
        peer.heartbeatAgeMs <= after - lastHeartbeatAt,
      `heartbeatAgeMs ${peer.heartbeatAgeMs} is the time since ${peer.lastHeartbeatAt}`,
    );
  }
  const [a, b] = body.peers;
  assert.equal(a.id, alice.identity.id);
  assert.equal(a.address, "127.0.0.1:4001");
  assert.equal(a.reconnects, 0);
  assert.equal(a.version, `p2pchat/${APP_VERSION}`);
  assert.equal(b.id, bob.identity.id);
  assert.equal(b.address, "127.0.0.1:4002");
  assert.equal(b.reconnects, 3, "reconnects as bob reported them");
  assert.equal(b.version, "p2pchat-test/9.9.9", "the client string bob sent");
  assert.equal(b.heartbeats, 3);
  assert.equal(Date.parse(b.lastHeartbeatAt), registry.peer(bob.identity.id)?.lastHeartbeatAt);
});

Deno.test("GET /api/peers answers an empty list when nobody is online", async () => {
  await using dashboard = await startDashboard();
  assert.deepEqual(await dashboard.json("/api/peers"), { peers: [] });
});

Deno.test("GET /api/peers/:id shows an online peer with its session history", async () => {
  await using dashboard = await startDashboard();
  await using alice = await registeredPeer(dashboard.registry, "alice", {
    listenPort: 4001,
    reconnects: 1,
  });
  await alice.heartbeat();
  await alice.heartbeat();

  // deno-lint-ignore no-explicit-any
  const body = await dashboard.json<any>(`/api/peers/${alice.identity.id}`);
  assert.deepEqual(Object.keys(body).sort(), ["history", "peer"]);
  assert.equal(body.peer.id, alice.identity.id);
  assert.equal(body.peer.name, "alice");
  assert.equal(body.peer.reconnects, 1);
  assert.equal(body.peer.heartbeats, 2);
  assert.equal(body.history.id, alice.identity.id);
  assert.equal(body.history.name, "alice");
  assert.match(body.history.firstSeenAt, ISO_TIME);
  assert.equal(body.history.heartbeatIntervals.length, 2, "one interval per heartbeat");
  assert.equal(body.history.sessions.length, 1);
  const [session] = body.history.sessions;
  assert.equal(session.connectedAt, body.peer.connectedAt);
  assert.equal(session.address, "127.0.0.1:4001");
  assert.equal(session.reconnects, 1);
  assert.equal(session.version, `p2pchat/${APP_VERSION}`);
  assert.equal(session.endedAt, undefined, "the session is still open");
  assert.equal(session.endReason, undefined);
});

Deno.test("GET /api/peers/:id keeps the history of a peer that said bye, with no live peer", async () => {
  await using dashboard = await startDashboard();
  await using observer = await registeredPeer(dashboard.registry, "observer");
  await using alice = await registeredPeer(dashboard.registry, "alice");
  await alice.send({ type: "bye" });
  await observer.waitForPeers((peers) => !peers.has(alice.identity.id));

  // deno-lint-ignore no-explicit-any
  const body = await dashboard.json<any>(`/api/peers/${alice.identity.id}`);
  assert.equal(body.peer, null);
  assert.equal(body.history.name, "alice");
  assert.equal(body.history.sessions.length, 1);
  const [session] = body.history.sessions;
  assert.equal(session.endReason, "bye");
  assert.match(session.endedAt, ISO_TIME);
  assert.ok(Date.parse(session.endedAt) >= Date.parse(session.connectedAt));
});

Deno.test("GET /api/peers/:id answers 404 with an error naming an ID the registry never saw", async () => {
  await using dashboard = await startDashboard();
  const id = "a".repeat(52);
  const body = await dashboard.json<{ error: string }>(`/api/peers/${id}`, 404);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.ok(body.error.includes(id), body.error);
});

Deno.test("GET /api/stats counts registrations, reconnects, leaves, evictions, heartbeats and rejected frames", async () => {
  await using dashboard = await startDashboard();
  await using scenario = await playScenario(dashboard.registry);
  const info = dashboard.registry.info();

  // deno-lint-ignore no-explicit-any
  const stats = await dashboard.json<any>("/api/stats");
  assert.equal(stats.peersOnline, 2);
  assert.equal(stats.connectionsOpen, 2);
  assert.equal(stats.connectionsAccepted, 5);
  assert.equal(stats.registrations, 4);
  assert.equal(stats.registrationsRefused, 0);
  assert.equal(stats.peerReconnects, 1, "only bob reported reconnects");
  assert.equal(stats.sessionReplacements, 0);
  assert.deepEqual(stats.leaves, { bye: 1, timeout: 1, kicked: 0 });
  assert.equal(stats.evictions, 1);
  assert.equal(stats.heartbeats, scenario.heartbeats);
  assert.equal(stats.framesRejected, 1, "the garbage connection");
  assert.equal(stats.snapshotsSent, 4, "one per registration");

  assert.equal(stats.epoch, info.epoch);
  assert.equal(stats.version, APP_VERSION);
  assert.equal(stats.protocol, PROTOCOL_VERSION);
  assert.equal(stats.listen, info.listen);
  assert.equal(stats.heartbeatMs, HEARTBEAT_MS);
  assert.equal(stats.evictAfter, EVICT_AFTER);
  assert.equal(stats.maxPeers, info.maxPeers);
  assert.equal(Date.parse(stats.startedAt), info.startedAt);
  assert.equal(typeof stats.uptimeMs, "number");
  assert.ok(
    stats.uptimeMs >= 0 && stats.uptimeMs <= Date.now() - info.startedAt,
    `uptime ${stats.uptimeMs}`,
  );
});

Deno.test("GET /api/recent-events returns the newest events, oldest first, with ISO times", async () => {
  await using dashboard = await startDashboard();
  await using alice = await registeredPeer(dashboard.registry, "alice");
  await using bob = await registeredPeer(dashboard.registry, "bob");
  await bob.send({ type: "bye" });
  await alice.waitForPeers((peers) => !peers.has(bob.identity.id));

  // deno-lint-ignore no-explicit-any
  const all = await dashboard.json<{ events: any[] }>("/api/recent-events");
  assert.deepEqual(
    all.events.map((e) => [e.kind, e.name]),
    [["join", "alice"], ["join", "bob"], ["leave", "bob"]],
  );
  assert.equal(all.events[2].id, bob.identity.id);
  assert.equal(all.events[2].detail, "bye");
  for (const event of all.events) assert.match(event.at, ISO_TIME);
  assert.ok(all.events[0].seq < all.events[1].seq && all.events[1].seq < all.events[2].seq);

  // deno-lint-ignore no-explicit-any
  const newest = await dashboard.json<{ events: any[] }>("/api/recent-events?limit=1");
  assert.deepEqual(newest.events, [all.events[2]]);
  // deno-lint-ignore no-explicit-any
  const nonsense = await dashboard.json<{ events: any[] }>("/api/recent-events?limit=lots");
  assert.equal(nonsense.events.length, 3, "an unreadable limit falls back to the default");
});

Deno.test("GET /healthz reports ok with this run's epoch, version and peers online", async () => {
  await using dashboard = await startDashboard();
  await using _alice = await registeredPeer(dashboard.registry, "alice");
  // deno-lint-ignore no-explicit-any
  const health = await dashboard.json<any>("/healthz");
  assert.equal(health.status, "ok");
  assert.equal(health.epoch, dashboard.registry.info().epoch);
  assert.equal(health.version, APP_VERSION);
  assert.equal(health.peersOnline, 1);
  assert.equal(typeof health.uptimeMs, "number");
  assert.ok(health.uptimeMs >= 0);
});

Deno.test("an unknown path answers 404 JSON that names it", async () => {
  await using dashboard = await startDashboard();
  const body = await dashboard.json<{ error: string }>("/api/nothing-here", 404);
  assert.match(body.error, /GET \/api\/nothing-here/);
});
