/**
 * `--link-paths` on one machine: a relayed link works wherever the registry
 * can see both peers (no NAT needed to prove it), and every link says which
 * path it took. The NAT lab (tests/lab/) shows the paths chosen by themselves.
 */

import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";

Deno.test("peers restricted to relaying chat through the registry; the link says relayed", async () => {
  await using net = await TestNetwork.start();
  const args = ["--link-paths", "relay"];
  await using alice = await net.peer("alice", { args });
  await using bob = await net.peer("bob", { args });
  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });

  await alice.command({ cmd: "send", to: "bob", text: "through the registry, sealed" });
  const got = await bob.waitFor("message");
  assert.equal(got.text, "through the registry, sealed");
  await alice.waitFor("delivered");
  const link = await alice.waitFor("link");
  assert.equal(link.path, "relayed");
  assert.equal(link.peer.id, bob.id);
  assert.equal((await bob.waitFor("link")).path, "relayed");

  await bob.command({ cmd: "read", id: got.id });
  assert.equal((await alice.waitFor("read")).id, got.id);
  const mark = alice.mark();
  await alice.command({ cmd: "peers" });
  const list = await alice.waitFor("peers", { after: mark });
  assert.deepEqual(list.links, { [bob.id]: "relayed" });
});

Deno.test("a direct link says direct, and a peer that will not relay is not relayed to", async () => {
  await using net = await TestNetwork.start(["--no-relay"]);
  // Only the dial: on a loaded machine a 1 s dial could otherwise give way to a punch.
  await using alice = await net.peer("alice", { args: ["--link-paths", "direct"] });
  await using bob = await net.peer("bob");
  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });
  await alice.command({ cmd: "send", to: "bob", text: "hi" });
  await alice.waitFor("delivered");
  assert.equal((await alice.waitFor("link")).path, "direct");

  // Relaying only, on a registry that does not relay: the message waits.
  await using carol = await net.peer("carol", { args: ["--link-paths", "relay"] });
  await carol.waitFor("peers", { test: (e) => e.peers.some((p) => p.name === "bob") });
  await carol.command({ cmd: "send", to: "bob", text: "anyone?" });
  await carol.waitFor("pending");
  assert.deepEqual(bob.all("message").map((m) => m.text), ["hi"]);
});

Deno.test("the terminal says when a link is relayed, and /peers shows the path per contact", async () => {
  await using net = await TestNetwork.start();
  const args = ["--link-paths", "relay"];
  await using bob = await net.peer("bob", { args });
  const alice = await net.terminalPeer("alice", { args });
  // The peer list arrives after "registered": /msg needs bob in it.
  await alice.waitForOnline(1);
  await alice.writeLine("/msg bob over the relay");
  await bob.waitFor("message", { test: (e) => e.text === "over the relay" });
  await alice.waitForLine(/^\* link to bob: relayed by the registry, still end-to-end encrypted$/);
  await alice.waitForLine(/^ {2}✓ "over the relay" delivered to bob$/);
  const mark = alice.lines.length;
  await alice.writeLine("/peers");
  await alice.waitForLine(
    new RegExp(`^  bob\\s+${bob.id.slice(0, 8)}  127\\.0\\.0\\.1:\\d+  \\(relayed\\)$`),
    mark,
  );
});
