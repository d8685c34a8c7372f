import assert from "node:assert/strict";
import { keepAlive } from "../../sim/mod.ts";
import { RegistryProcess } from "../support/processes.ts";
import {
  ADMIN_TOKEN,
  HEARTBEAT_MS,
  metricValue,
  parseMetrics,
  registeredPeer,
  SseReader,
  startDashboard,
  type TestDashboard,
} from "./dashboard_fixture.ts";

const READ_TOKEN = "a-read-only-token-for-prometheus";

/** Every route that shows something about peers. */
function readRoutes(id: string): string[] {
  return [
    "/",
    `/peers/${id}`,
    "/api/peers",
    `/api/peers/${id}`,
    "/api/stats",
    "/api/recent-events",
    "/api/events",
    "/metrics",
  ];
}

async function status(dashboard: TestDashboard, path: string, authorization?: string) {
  const res = await dashboard.request(path, {
    headers: authorization ? { authorization } : {},
  });
  await res.body?.cancel();
  return { status: res.status, headers: res.headers };
}

Deno.test("beyond loopback every read needs the admin or the read token; health and assets stay open", async () => {
  await using dashboard = await startDashboard({
    app: { readNeedsToken: true, readToken: READ_TOKEN },
  });
  await using alice = await registeredPeer(dashboard.registry, "alice");
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  for (const path of readRoutes(alice.identity.id)) {
    for (const wrong of [undefined, "Bearer not-a-token-at-all-0123456", `Basic ${btoa("x:y")}`]) {
      const { status: code, headers } = await status(dashboard, path, wrong);
      assert.equal(code, 401, `${path} with ${wrong}`);
      assert.match(headers.get("www-authenticate") ?? "", /^Basic realm="p2pchat registry"/);
    }
    for (
      const good of [
        `Bearer ${ADMIN_TOKEN}`,
        `Bearer ${READ_TOKEN}`,
        `Basic ${btoa(`prometheus:${READ_TOKEN}`)}`,
        `Basic ${btoa(`:${ADMIN_TOKEN}`)}`,
      ]
    ) {
      assert.equal((await status(dashboard, path, good)).status, 200, `${path} with ${good}`);
    }
  }
  for (
    const path of ["/healthz", "/assets/dashboard.css", "/assets/dashboard.js", "/favicon.svg"]
  ) {
    assert.equal((await status(dashboard, path)).status, 200, `${path} stays open`);
  }
  // The read token reads; it does not kick.
  const kick = await dashboard.request(`/api/peers/${alice.identity.id}/kick`, {
    method: "POST",
    headers: { authorization: `Bearer ${READ_TOKEN}` },
  });
  await kick.body?.cancel();
  assert.equal(kick.status, 401);
  assert.ok(dashboard.registry.peer(alice.identity.id), "alice is still online");
});

Deno.test("on loopback reading stays open, as before", async () => {
  await using dashboard = await startDashboard();
  for (const path of readRoutes("c".repeat(52)).filter((p) => !p.includes("ccc"))) {
    assert.equal((await status(dashboard, path)).status, 200, path);
  }
});

Deno.test("a registry whose dashboard listens beyond loopback asks for a token; --read-token reads", async () => {
  await using registry = await RegistryProcess.start([
    "--dashboard",
    "0.0.0.0:0",
    "--admin-token",
    ADMIN_TOKEN,
    "--read-token",
    READ_TOKEN,
  ]);
  const url = new URL(registry.dashboardUrl);
  const get = async (path: string, authorization?: string) => {
    const res = await fetch(new URL(path, url), {
      headers: authorization ? { authorization } : {},
    });
    await res.body?.cancel();
    return res.status;
  };
  assert.equal(await get("/api/peers"), 401);
  assert.equal(await get("/metrics"), 401);
  assert.equal(await get("/metrics", `Bearer ${READ_TOKEN}`), 200);
  assert.equal(await get("/", `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`), 200);
  assert.equal(await get("/healthz"), 200);
});

Deno.test("live streams beyond the cap get 503 and are counted; a closed one frees its place", async () => {
  await using dashboard = await startDashboard({ app: { maxLiveStreams: 2 } });
  const open = async () => await dashboard.request("/api/events");
  const metrics = async () => parseMetrics(await (await dashboard.request("/metrics")).text());
  await using first = new SseReader((await open()).body!);
  await using _second = new SseReader((await open()).body!);
  await first.next("hello");
  const refused = await open();
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "10");
  assert.match((await refused.json()).error, /2 streams are open/);
  let m = await metrics();
  assert.equal(metricValue(m, "p2pchat_dashboard_sse_clients"), 2);
  assert.equal(metricValue(m, "p2pchat_dashboard_sse_refused_total"), 1);
  await first[Symbol.asyncDispose]();
  const deadline = Date.now() + 5000;
  while (metricValue(m = await metrics(), "p2pchat_dashboard_sse_clients") !== 1) {
    assert.ok(Date.now() < deadline, "the closed stream frees its place");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const third = await open();
  assert.equal(third.status, 200);
  await using _third = new SseReader(third.body!);
});

Deno.test("a stream reopened with Last-Event-ID gets only what it missed; a foreign ID gets hello", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  const open = async (lastEventId?: string) => {
    const res = await dashboard.request("/api/events", {
      headers: lastEventId ? { "last-event-id": lastEventId } : {},
    });
    assert.equal(res.status, 200);
    return new SseReader(res.body!);
  };
  let lastId: string;
  {
    await using feed = await open();
    const hello = await feed.next("hello");
    assert.match(hello.id ?? "", new RegExp(`^${registry.info().epoch}\\.\\d+$`));
    await using alice = await registeredPeer(registry, "alice");
    const joined = await feed.next("peer_joined");
    assert.equal(joined.data.peer.id, alice.identity.id);
    lastId = (await feed.next("log", (e) => e.data.id === alice.identity.id)).id!;
    // alice leaves (disposed) while the stream is still open.
  }
  // Away: bob comes and goes, carol comes.
  await using bob = await registeredPeer(registry, "bob", { listenPort: 4002 });
  await bob.send({ type: "bye" });
  await bob.waitClosed();
  await using carol = await registeredPeer(registry, "carol", { listenPort: 4003 });
  using _beat = keepAlive([carol], HEARTBEAT_MS / 2);

  await using resumed = await open(lastId);
  const bobJoined = await resumed.next("peer_joined", (e) => e.data.peer.name === "bob");
  await resumed.next("peer_left", (e) => e.data.peer.name === "bob");
  await resumed.next("peer_joined", (e) => e.data.peer.name === "carol");
  const tick = await resumed.next("tick");
  assert.ok(carol.identity.id in tick.data.beats, "the first tick brings every heartbeat");
  assert.equal(resumed.pending("hello").length, 0, "no hello: nothing is sent twice");
  assert.ok(resumed.events.every((e) => e.event !== "hello"));
  const names = resumed.events.filter((e) => e.event === "peer_joined").map((e) =>
    e.data.peer.name
  );
  assert.deepEqual(names, ["bob", "carol"], "alice's join, seen before, is not repeated");
  const seq = (id: string) => Number(id.split(".").at(-1));
  assert.ok(seq(bobJoined.id!) > seq(lastId), "event IDs keep counting up");

  for (const foreign of ["another-epoch.3", `${registry.info().epoch}.999999`, "junk"]) {
    await using fresh = await open(foreign);
    const hello = await fresh.next("hello");
    assert.deepEqual(
      hello.data.peers.map((p: { name: string }) => p.name),
      ["carol"],
      `Last-Event-ID ${foreign}`,
    );
  }
});

Deno.test("pages, scripts and JSON are compressed for browsers that accept it; the stream is not", async () => {
  await using dashboard = await startDashboard();
  await using alice = await registeredPeer(dashboard.registry, "alice");
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  for (const path of ["/", "/assets/dashboard.js", "/assets/dashboard.css", "/api/peers"]) {
    const res = await dashboard.request(path, { headers: { "accept-encoding": "gzip, deflate" } });
    assert.equal(res.headers.get("content-encoding"), "gzip", path);
    assert.match(res.headers.get("vary") ?? "", /Accept-Encoding/i, path);
    const text = await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).text();
    assert.ok(text.length > 0, path);
  }
  const stream = await dashboard.request("/api/events", {
    headers: { "accept-encoding": "gzip" },
  });
  assert.equal(stream.headers.get("content-encoding"), null, "events flow as they happen");
  await using _feed = new SseReader(stream.body!);
});

Deno.test("API answers, pages and metrics say no-store; assets may be cached", async () => {
  await using dashboard = await startDashboard();
  for (
    const path of ["/", "/api/peers", "/api/stats", "/api/recent-events", "/metrics", "/healthz"]
  ) {
    assert.equal((await status(dashboard, path)).headers.get("cache-control"), "no-store", path);
  }
  for (const path of ["/assets/dashboard.css", "/assets/dashboard.js", "/favicon.svg"]) {
    assert.match((await status(dashboard, path)).headers.get("cache-control") ?? "", /max-age/);
  }
});
