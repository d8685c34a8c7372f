import assert from "node:assert/strict";
import { shortId } from "../../protocol/mod.ts";
import { keepAlive } from "../../sim/mod.ts";
import {
  delay,
  HEARTBEAT_MS,
  peerRows,
  registeredPeer,
  startDashboard,
  totals,
} from "./dashboard_fixture.ts";

Deno.test("the home page lists every online peer by name and short ID, with the totals", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  await using alice = await registeredPeer(registry, "alice", { listenPort: 4001 });
  await using bob = await registeredPeer(registry, "bob", { listenPort: 4002, reconnects: 2 });
  await using carol = await registeredPeer(registry, "carol");
  using _beat = keepAlive([alice, bob], HEARTBEAT_MS / 2);
  await carol.send({ type: "bye" });
  await alice.waitForPeers((peers) => !peers.has(carol.identity.id));

  const html = await dashboard.html("/");
  assert.ok(html.startsWith("<!doctype html>"));
  assert.match(html, /<title>p2pchat registry — 2 online<\/title>/);
  const rows = peerRows(html);
  assert.deepEqual(rows.map((r) => r.name), ["alice", "bob"], "carol, who left, is not listed");
  for (const [row, peer] of [[rows[0], alice], [rows[1], bob]] as const) {
    assert.equal(row.id, peer.identity.id);
    assert.equal(row.cells.name, peer.label);
    assert.equal(row.cells.id, shortId(peer.identity.id));
    assert.ok(row.cells.id.length < peer.identity.id.length, "the table shows a short ID");
    assert.equal(row.cells.version, "p2pchat/0.1.0");
    assert.match(row.cells.age, /^\d+\.\d s$/);
    assert.ok(html.includes(`href="/peers/${peer.identity.id}"`), "each name links to its page");
  }
  assert.equal(rows[0].cells.address, "127.0.0.1:4001");
  assert.equal(rows[1].cells.reconnects, "2");
  assert.deepEqual(
    { ...totals(html) },
    {
      peersOnline: 2,
      registrations: 3,
      "leaves.bye": 1,
      "leaves.timeout": 0,
      evictions: 0,
      "leaves.kicked": 0,
      peerReconnects: 1,
      framesRejected: 0,
      handshakesFailed: 0,
      rateLimited: 0,
      snapshotsDeferred: 0,
      acceptFailures: 0,
      "punches.connected": 0,
      "punches.failed": 0,
      "relay.circuits": 0,
      "relay.bytes": 0,
    },
  );
  assert.match(html, /<dt>Frame size<\/dt><dd>4096 bytes<\/dd>/, "the limits in force are shown");
  assert.match(html, /2 of 2 shown/);
  assert.match(html, /<p id="no-peers" class="empty" hidden>/, "the empty-table note is hidden");
  const events = /<ol id="events">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? "";
  assert.deepEqual(
    [...events.matchAll(/data-kind="(\w+)"/g)].map((m) => m[1]),
    ["leave", "join", "rejoin", "join"],
    "recent events, newest first; bob, who reported reconnects, rejoined",
  );
});

Deno.test("the home page says so when no peer is online", async () => {
  await using dashboard = await startDashboard();
  const html = await dashboard.html("/");
  assert.deepEqual(peerRows(html), []);
  assert.match(html, /<p id="no-peers" class="empty">No peers online\.<\/p>/);
  assert.equal(totals(html).peersOnline, 0);
});

Deno.test("?q= shows only the peers whose name contains the filter, ignoring case", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  await using alice = await registeredPeer(registry, "alice");
  await using alfred = await registeredPeer(registry, "alfred");
  await using bob = await registeredPeer(registry, "bob");
  using _beat = keepAlive([alice, alfred, bob], HEARTBEAT_MS / 2);

  const html = await dashboard.html("/?q=AL");
  assert.deepEqual(peerRows(html).map((r) => r.name), ["alfred", "alice"]);
  assert.match(html, /2 of 3 shown/);
  assert.match(
    html,
    /<input id="filter" name="q" type="search" [^>]*value="AL"/,
    "the filter is kept",
  );
  assert.equal(totals(html).peersOnline, 3, "totals count everyone, filtered or not");

  const none = await dashboard.html("/?q=zzz");
  assert.deepEqual(peerRows(none), []);
  assert.match(none, /<p id="no-peers" class="empty">No peer matches the filter\.<\/p>/);
});

Deno.test("?sort= and &dir=desc order the peers table without JavaScript", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  await using ann = await registeredPeer(registry, "ann", { reconnects: 5 });
  await using bea = await registeredPeer(registry, "bea", { reconnects: 0 });
  await using cid = await registeredPeer(registry, "cid", { reconnects: 2 });
  using _beat = keepAlive([ann, bea, cid], HEARTBEAT_MS / 2);
  const order = async (query: string) =>
    peerRows(await dashboard.html(`/${query}`)).map((r) => r.name);

  assert.deepEqual(await order("?sort=reconnects&dir=desc"), ["ann", "cid", "bea"]);
  assert.deepEqual(await order("?sort=reconnects"), ["bea", "cid", "ann"]);
  assert.deepEqual(await order(""), ["ann", "bea", "cid"], "by name by default");
  assert.deepEqual(await order("?dir=desc"), ["cid", "bea", "ann"]);
  assert.deepEqual(
    await order("?sort=nonsense"),
    ["ann", "bea", "cid"],
    "unknown keys sort by name",
  );

  const html = await dashboard.html("/?sort=reconnects&dir=desc");
  assert.match(html, /<th scope="col" data-sort="reconnects" aria-sort="descending">/);
  assert.ok(
    html.includes('<a href="?sort=reconnects">Reconnects</a>'),
    "clicking the sorted column again sorts ascending",
  );
});

/** The query string the no-JavaScript filter form submits when `text` is typed into it. */
function filterFormQuery(html: string, text: string): string {
  const form = /<form method="get" class="filter"[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1];
  assert.ok(form, "the page has a filter form");
  const params = new URLSearchParams();
  for (const [, attributes] of form.matchAll(/<input\b([^>]*)>/g)) {
    const name = /\bname="([^"]*)"/.exec(attributes)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(attributes)?.[1] ?? "";
    if (name) params.append(name, name === "q" ? text : value);
  }
  return `?${params}`;
}

Deno.test("the filter form keeps the chosen sort column", async () => {
  await using dashboard = await startDashboard();
  const { registry } = dashboard;
  await using ann = await registeredPeer(registry, "ann", { reconnects: 1 });
  await using bea = await registeredPeer(registry, "bea", { reconnects: 0 });
  using _beat = keepAlive([ann, bea], HEARTBEAT_MS / 2);

  const query = filterFormQuery(await dashboard.html("/?sort=reconnects"), "");
  assert.equal(new URLSearchParams(query).get("sort"), "reconnects");
  assert.deepEqual(peerRows(await dashboard.html(`/${query}`)).map((r) => r.name), ["bea", "ann"]);
});

Deno.test({
  name: "the filter form keeps a descending sort descending",
  async fn() {
    await using dashboard = await startDashboard();
    const { registry } = dashboard;
    await using ann = await registeredPeer(registry, "ann", { reconnects: 1 });
    await using bea = await registeredPeer(registry, "bea", { reconnects: 0 });
    using _beat = keepAlive([ann, bea], HEARTBEAT_MS / 2);

    const query = filterFormQuery(await dashboard.html("/?sort=reconnects&dir=desc"), "");
    const order = peerRows(await dashboard.html(`/${query}`)).map((r) => r.name);
    assert.deepEqual(order, ["ann", "bea"], `after submitting ${query}`);
  },
});

Deno.test("a peer that stopped heartbeating is marked late while it is still listed", async () => {
  const heartbeatMs = 200;
  await using dashboard = await startDashboard({ registry: { heartbeatMs, evictAfter: 10 } });
  const { registry } = dashboard;
  await using steady = await registeredPeer(registry, "steady");
  await using quiet = await registeredPeer(registry, "quiet");
  using _beat = keepAlive([steady], heartbeatMs / 4);

  const fresh = peerRows(await dashboard.html("/"));
  assert.deepEqual(fresh.map((r) => [r.name, r.state]), [["quiet", "ok"], ["steady", "ok"]]);

  // Let quiet's silence pass 1.5 intervals by a comfortable margin.
  const silentSince = registry.peer(quiet.identity.id)!.lastHeartbeatAt;
  await delay(silentSince + 2 * heartbeatMs + 100 - Date.now());

  const rows = peerRows(await dashboard.html("/"));
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  assert.ok(byName.quiet, "quiet is still listed");
  assert.ok(["late", "critical"].includes(byName.quiet.state), `quiet is ${byName.quiet.state}`);
  assert.equal(byName.steady.state, "ok");

  const detail = await dashboard.html(`/peers/${quiet.identity.id}`);
  assert.match(detail, /<dd data-state="(late|critical)">/, "its own page marks it too");
});

Deno.test("GET /peers/:id shows an online peer's full ID, address, client and sessions", async () => {
  await using dashboard = await startDashboard();
  await using alice = await registeredPeer(dashboard.registry, "alice", {
    listenPort: 4001,
    reconnects: 4,
  });
  await alice.heartbeat();
  const id = alice.identity.id;

  const html = await dashboard.html(`/peers/${id}`);
  assert.ok(html.includes(`<code class="full-id">${id}</code>`), "the full ID is shown");
  assert.match(html, /<h1>alice <span class="badge online">online<\/span><\/h1>/);
  assert.ok(html.includes(`<code>${alice.identity.publicKeyBase64}</code>`), "its public key");
  assert.match(html, /<dt>Published address<\/dt><dd>127\.0\.0\.1:4001<\/dd>/);
  assert.match(html, /<dt>Client<\/dt><dd>p2pchat\/0\.1\.0<\/dd>/);
  assert.match(html, /<dt>Reconnects<\/dt><dd>4<\/dd>/);
  assert.match(html, /1 heartbeats this session/);
  assert.match(html, /<section class="sessions"[\s\S]*<td>online<\/td>/);
});

Deno.test("GET /peers/:id of a peer that left shows it offline and how its session ended", async () => {
  await using dashboard = await startDashboard();
  await using observer = await registeredPeer(dashboard.registry, "observer");
  await using alice = await registeredPeer(dashboard.registry, "alice");
  await alice.send({ type: "bye" });
  await observer.waitForPeers((peers) => !peers.has(alice.identity.id));

  const html = await dashboard.html(`/peers/${alice.identity.id}`);
  assert.match(html, /<h1>alice <span class="badge offline">offline<\/span><\/h1>/);
  assert.ok(html.includes(`<code class="full-id">${alice.identity.id}</code>`));
  assert.match(html, /<td>bye<\/td>/, "the session ended with a bye");
  assert.match(html, /<span class="kind">leave<\/span>/);
});

Deno.test("GET /peers/:id of an unknown ID answers a 404 page that says so", async () => {
  await using dashboard = await startDashboard();
  const id = "b".repeat(52);
  const html = await dashboard.html(`/peers/${id}`, 404);
  assert.match(html, /<h1>Unknown peer<\/h1>/);
  assert.ok(html.includes(`<code>${id}</code>`));
});
