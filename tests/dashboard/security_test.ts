import assert from "node:assert/strict";
import { keepAlive } from "../../sim/mod.ts";
import {
  ADMIN_TOKEN,
  HEARTBEAT_MS,
  registeredPeer,
  startDashboard,
  type TestDashboard,
} from "./dashboard_fixture.ts";

const UNKNOWN_ID = "c".repeat(52);

/** Every route, with a real peer ID where a route takes one. */
function routes(id: string): [method: string, path: string][] {
  return [
    ["GET", "/"],
    ["GET", `/peers/${id}`],
    ["GET", "/assets/dashboard.css"],
    ["GET", "/assets/dashboard.js"],
    ["GET", "/favicon.svg"],
    ["GET", "/favicon.ico"],
    ["GET", "/api/peers"],
    ["GET", `/api/peers/${id}`],
    ["GET", "/api/stats"],
    ["GET", "/api/recent-events"],
    ["GET", "/api/events"],
    ["GET", "/metrics"],
    ["GET", "/healthz"],
    ["POST", `/api/peers/${id}/kick`],
  ];
}

async function requestAs(
  dashboard: TestDashboard,
  method: string,
  path: string,
  host: string | undefined,
): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${ADMIN_TOKEN}` });
  if (host !== undefined) headers.set("host", host);
  // Straight to the app: the fixture would add the allowed Host.
  return await dashboard.app.request(path, { method, headers });
}

Deno.test("every route answers 421 to a Host the dashboard is not bound to, and kicks nobody", async () => {
  await using dashboard = await startDashboard();
  await using alice = await registeredPeer(dashboard.registry, "alice");
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  const hosts = [
    "evil.example:7080",
    "127.0.0.1:9999",
    "localhost",
    "127.0.0.1",
    "evil.example",
    "localhost.evil.example:7080",
    "",
    undefined,
  ];
  for (const host of hosts) {
    for (const [method, path] of routes(alice.identity.id)) {
      const res = await requestAs(dashboard, method, path, host);
      const body = await res.text();
      assert.equal(res.status, 421, `${method} ${path} with Host ${JSON.stringify(host)}: ${body}`);
      assert.match(body, /Misdirected/);
    }
  }
  assert.ok(dashboard.registry.peer(alice.identity.id), "alice was not kicked");
  assert.equal(dashboard.registry.stats().leaves.kicked, 0);
});

Deno.test({
  name: "a host name that merely starts with 127. is refused like any other foreign name",
  async fn() {
    await using dashboard = await startDashboard();
    for (const host of ["127.0.0.1.evil.example:7080", "127.evil.example:7080"]) {
      const res = await requestAs(dashboard, "GET", "/api/peers", host);
      await res.body?.cancel();
      assert.equal(res.status, 421, `Host ${host}`);
    }
  },
});

Deno.test("the dashboard answers to its own address, localhost and loopback literals", async () => {
  await using dashboard = await startDashboard();
  for (const host of ["127.0.0.1:7080", "localhost:7080", "LOCALHOST:7080", "[::1]:7080"]) {
    const res = await requestAs(dashboard, "GET", "/healthz", host);
    const body = await res.text();
    assert.equal(res.status, 200, `Host ${host}: ${body}`);
    assert.equal(JSON.parse(body).status, "ok");
  }
});

Deno.test("every answer carries a strict CSP and anti-framing, anti-sniffing headers", async () => {
  await using dashboard = await startDashboard();
  await using alice = await registeredPeer(dashboard.registry, "alice");
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  const paths = [
    "/",
    `/peers/${alice.identity.id}`,
    `/peers/${UNKNOWN_ID}`,
    "/assets/dashboard.css",
    "/assets/dashboard.js",
    "/favicon.svg",
    "/api/peers",
    "/api/stats",
    "/metrics",
    "/healthz",
    "/api/events",
    "/no/such/page",
  ];
  for (const path of paths) {
    const res = await dashboard.request(path);
    await res.body?.cancel();
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'self'/, `CSP of ${path}`);
    assert.match(csp, /script-src 'self'/, `CSP of ${path}`);
    assert.match(csp, /frame-ancestors 'none'/, `CSP of ${path}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `CSP of ${path}`);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("x-frame-options"), "DENY", path);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer", path);
  }
});

Deno.test("the pages need no inline script or style, so the CSP does not break them", async () => {
  await using dashboard = await startDashboard();
  await using alice = await registeredPeer(dashboard.registry, "alice");
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  for (const path of ["/", `/peers/${alice.identity.id}`, `/peers/${UNKNOWN_ID}`]) {
    const html = await dashboard.html(path, path.includes(UNKNOWN_ID) ? 404 : 200);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0, `${path} loads its script`);
    for (const [, attributes, content] of scripts) {
      assert.match(attributes, /\bsrc="\/assets\//, `${path}: scripts come from /assets`);
      assert.equal(content, "", `${path}: no inline script`);
    }
    assert.doesNotMatch(
      html,
      /<style\b|\sstyle="|\son[a-z]+="/,
      `${path}: no inline style or handler`,
    );
  }
});

Deno.test("kicking needs the admin token: 401 without it or with a wrong one", async () => {
  await using dashboard = await startDashboard();
  await using alice = await registeredPeer(dashboard.registry, "alice");
  using _beat = keepAlive([alice], HEARTBEAT_MS / 2);
  const path = `/api/peers/${alice.identity.id}/kick`;
  const attempts: [string, Record<string, string>][] = [
    ["no Authorization", {}],
    ["a wrong token", { authorization: "Bearer not-the-token-of-32-characters-x" }],
    ["the token with a suffix", { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ["an empty bearer", { authorization: "Bearer " }],
    ["Basic auth", { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` }],
    ["the token without the scheme", { authorization: ADMIN_TOKEN }],
  ];
  for (const [what, headers] of attempts) {
    const res = await dashboard.request(path, { method: "POST", headers });
    const body = await res.json();
    assert.equal(res.status, 401, what);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm=/, what);
    assert.match(body.error, /admin token/, what);
  }
  const get = await dashboard.request(path);
  await get.body?.cancel();
  assert.equal(get.status, 404, "a GET (a link, an <img>) cannot kick");

  assert.ok(dashboard.registry.peer(alice.identity.id), "alice is still online");
  assert.equal(dashboard.registry.stats().leaves.kicked, 0);
  assert.equal(alice.pending("bye").length, 0);
});

Deno.test("kicking an ID that is not online answers 404, even with the right token", async () => {
  await using dashboard = await startDashboard();
  const res = await dashboard.request(`/api/peers/${UNKNOWN_ID}/kick`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(res.status, 404);
  const body = await res.json();
  assert.ok(body.error.includes(UNKNOWN_ID), body.error);
});

Deno.test("a kicked peer is told so, everyone sees it leave as kicked, and the log records it", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  await using alice = await registeredPeer(registry, "alice");
  await using mallory = await registeredPeer(registry, "mallory");
  using _beat = keepAlive([alice, mallory], HEARTBEAT_MS / 2);
  const id = mallory.identity.id;

  const res = await dashboard.request(`/api/peers/${id}/kick`, {
    method: "POST",
    headers: { authorization: `bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { kicked: id });

  assert.deepEqual(await mallory.next("bye"), { type: "bye", reason: "kicked" });
  await mallory.waitClosed();
  await alice.waitForPeers((peers) => !peers.has(id));
  const left = alice.messages.flatMap((m) => m.type === "peers_delta" ? m.changes : [])
    .find((c) => c.op === "left" && c.id === id);
  assert.deepEqual(left, { op: "left", id, reason: "kicked" });

  const { peers } = await dashboard.json<{ peers: { id: string }[] }>("/api/peers");
  assert.deepEqual(peers.map((p) => p.id), [alice.identity.id]);
  // deno-lint-ignore no-explicit-any
  const { events } = await dashboard.json<{ events: any[] }>("/api/recent-events");
  const kick = events.find((e) => e.kind === "kick");
  assert.equal(kick?.id, id);
  assert.equal(kick?.name, "mallory");
  assert.equal(registry.recentEvents().at(-1)?.kind, "kick");
  // deno-lint-ignore no-explicit-any
  const stats = await dashboard.json<any>("/api/stats");
  assert.deepEqual(stats.leaves, { bye: 0, timeout: 0, kicked: 1 });
  // deno-lint-ignore no-explicit-any
  const detail = await dashboard.json<any>(`/api/peers/${id}`);
  assert.equal(detail.peer, null);
  assert.equal(detail.history.sessions[0].endReason, "kicked");

  const again = await dashboard.request(`/api/peers/${id}/kick`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  await again.body?.cancel();
  assert.equal(again.status, 404, "a peer already gone cannot be kicked twice");
});
