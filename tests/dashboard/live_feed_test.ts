import assert from "node:assert/strict";
import type { RegistryChange } from "../../registry/mod.ts";
import { keepAlive, RawPeer } from "../../sim/mod.ts";
import {
  addressOf,
  delay,
  HEARTBEAT_MS,
  LIVE_TICK_MS,
  metricValue,
  parseMetrics,
  registeredPeer,
  spiedView,
  SseReader,
  startDashboard,
  type TestDashboard,
} from "./dashboard_fixture.ts";

/** Polls an asynchronous check every 10 ms; true once it holds, false after `timeoutMs`. */
async function waitUntilAsync(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await delay(10);
  }
  return false;
}

async function openFeed(dashboard: TestDashboard): Promise<SseReader> {
  const res = await dashboard.request("/api/events");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.ok(res.body, "the feed has a body");
  return new SseReader(res.body);
}

Deno.test("the live feed greets with the current peers, then streams joins, heartbeats and leaves", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  await using feed = await openFeed(dashboard);

  const hello = await feed.next("hello");
  assert.equal(feed.events[0], hello, "hello comes first");
  assert.deepEqual(hello.data.peers.map((p: { id: string }) => p.id), [alice.identity.id]);
  assert.equal(hello.data.peers[0].name, "alice");
  assert.equal(hello.data.info.epoch, registry.info().epoch);
  assert.equal(hello.data.stats.peersOnline, 1);
  assert.equal(hello.data.stats.registrations, 1);
  assert.equal(typeof hello.data.now, "number");

  await using bob = await registeredPeer(registry, "bob", { listenPort: 4002, reconnects: 1 });
  const bobId = bob.identity.id;
  const joined = await feed.next("peer_joined", (e) => e.data.peer.id === bobId);
  assert.equal(joined.data.peer.name, "bob");
  assert.equal(joined.data.peer.address, "127.0.0.1:4002");
  assert.equal(joined.data.peer.reconnects, 1);
  const rejoin = await feed.next("log", (e) => e.data.id === bobId);
  assert.equal(rejoin.data.kind, "rejoin");
  assert.match(rejoin.data.at, /Z$/);

  await bob.heartbeat();
  const beat = registry.peer(bobId)!.lastHeartbeatAt;
  const tick = await feed.next("tick", (e) => bobId in e.data.beats);
  assert.equal(tick.data.beats[bobId], beat, "the tick carries bob's last heartbeat time");
  assert.ok(tick.data.stats.heartbeats >= 1);
  assert.equal(tick.data.stats.peersOnline, 2);

  await bob.send({ type: "bye" });
  const left = await feed.next("peer_left", (e) => e.data.peer.id === bobId);
  assert.equal(left.data.reason, "bye");
  assert.equal(left.data.peer.name, "bob");
  const leave = await feed.next("log", (e) => e.data.id === bobId);
  assert.equal(leave.data.kind, "leave");
  assert.ok(!feed.done, "the stream stays open");
});

Deno.test("a kick and an eviction reach the live feed as departures with their reasons", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  await using alice = await registeredPeer(registry, "alice");
  await using mallory = await registeredPeer(registry, "mallory");
  using _beat = keepAlive([alice, mallory], HEARTBEAT_MS / 2);
  await using feed = await openFeed(dashboard);
  await feed.next("hello");
  await using silent = await registeredPeer(registry, "silent");

  const res = await dashboard.request(`/api/peers/${mallory.identity.id}/kick`, {
    method: "POST",
    headers: { authorization: "Bearer a-test-token-of-32-characters-xx" },
  });
  await res.body?.cancel();
  assert.equal(res.status, 200);
  const kicked = await feed.next("peer_left", (e) => e.data.peer.id === mallory.identity.id);
  assert.equal(kicked.data.reason, "kicked");
  assert.equal((await feed.next("log", (e) => e.data.kind === "kick")).data.name, "mallory");

  const evicted = await feed.next("peer_left", (e) => e.data.peer.id === silent.identity.id);
  assert.equal(evicted.data.reason, "timeout");
  const evict = await feed.next("log", (e) => e.data.kind === "evict");
  assert.equal(evict.data.id, silent.identity.id);
  assert.match(evict.data.detail, /no heartbeat/);
});

Deno.test("a peer that re-registers on a new connection is streamed as an update, not a join", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  await using alice = await registeredPeer(registry, "alice", { listenPort: 4001 });
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  await using feed = await openFeed(dashboard);
  await feed.next("hello");

  await using again = await RawPeer.connect(addressOf(registry), { identity: alice.identity });
  await again.register({ name: "alice", listenPort: 4011, reconnects: 1 });
  using _beatAgain = keepAlive([again], HEARTBEAT_MS / 2);
  const updated = await feed.next("peer_updated", (e) => e.data.peer.id === alice.identity.id);
  assert.equal(updated.data.peer.address, "127.0.0.1:4011");
  assert.equal(updated.data.peer.reconnects, 1);
  await alice.waitClosed();
  assert.equal(feed.pending("peer_joined").length, 0, "no second join");
  assert.equal(feed.pending("peer_left").length, 0, "and no departure");

  // deno-lint-ignore no-explicit-any
  const detail = await dashboard.json<any>(`/api/peers/${alice.identity.id}`);
  assert.equal(detail.peer.address, "127.0.0.1:4011");
  assert.deepEqual(detail.history.sessions.map((s: { endReason?: string }) => s.endReason), [
    "replaced",
    undefined,
  ]);
  // deno-lint-ignore no-explicit-any
  const stats = await dashboard.json<any>("/api/stats");
  assert.equal(stats.sessionReplacements, 1);
  assert.equal(stats.peersOnline, 1);
});

Deno.test("shutting the dashboard down ends every open live stream", async () => {
  await using dashboard = await startDashboard();
  await using first = await openFeed(dashboard);
  await using second = await openFeed(dashboard);
  await first.next("hello");
  await second.next("hello");
  await first.next("tick");

  dashboard.endStreams();
  await first.waitEnded();
  await second.waitEnded();
});

/** `p2pchat_dashboard_sse_clients` now. */
async function openStreams(dashboard: TestDashboard): Promise<number> {
  const metrics = parseMetrics(await (await dashboard.request("/metrics")).text());
  return metricValue(metrics, "p2pchat_dashboard_sse_clients");
}

Deno.test("a browser that closes the live stream is let go of, and the gauge says so", async () => {
  const listeners = new Set<(change: RegistryChange) => void>();
  await using dashboard = await startDashboard({ wrapView: (r) => spiedView(r, listeners) });
  assert.equal(listeners.size, 1, "the journal listens to the registry for as long as it runs");
  {
    await using feed = await openFeed(dashboard);
    await feed.next("hello");
    await feed.next("tick");
    assert.equal(await openStreams(dashboard), 1);
  }
  const watched = await waitUntilAsync(async () => await openStreams(dashboard) === 0);
  assert.ok(watched, "the closed stream was let go of");
  assert.equal(listeners.size, 1, "one subscription however many streams come and go");
});

Deno.test({
  name: "a browser that stops reading is dropped once 10,000 events wait for it",
  async fn() {
    const listeners = new Set<(change: RegistryChange) => void>();
    await using dashboard = await startDashboard({ wrapView: (r) => spiedView(r, listeners) });
    const res = await dashboard.request("/api/events");
    const body = res.body!.getReader();
    try {
      assert.match(new TextDecoder().decode((await body.read()).value), /^event: hello/);
      // From here on nobody reads, like a frozen browser tab; a few ticks fill the pipe.
      await delay(10 * LIVE_TICK_MS);
      for (let seq = 1; seq <= 10_050; seq++) {
        const event = { seq, at: Date.now(), kind: "join" as const, name: `p${seq}` };
        for (const listener of [...listeners]) listener({ kind: "event", event });
      }
      assert.ok(
        await waitUntilAsync(async () => await openStreams(dashboard) === 0, 2000),
        "the stalled stream was dropped",
      );
    } finally {
      await body.cancel();
    }
  },
});
