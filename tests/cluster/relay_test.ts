/**
 * A relayed link between peers registered on different instances of a
 * cluster, end to end: real Redis, two real registry processes, real peer
 * processes that may only relay. The circuit lives on the target's instance;
 * the opener's instance passes its frames on over Redis (docs/CLUSTER.md).
 */

import assert from "node:assert/strict";
import { TestCluster } from "../support/cluster.ts";

Deno.test("peers on different instances chat over a relayed link, with read receipts", async () => {
  await using cluster = await TestCluster.start(["a", "b"]);
  const args = ["--link-paths", "relay"];
  const alice = await cluster.peer("alice", { registry: cluster.instance("a").address, args });
  const bob = await cluster.peer("bob", { registry: cluster.instance("b").address, args });
  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });

  await alice.command({ cmd: "send", to: "bob", text: "from instance a to instance b, sealed" });
  const got = await bob.waitFor("message");
  assert.equal(got.text, "from instance a to instance b, sealed");
  await alice.waitFor("delivered");
  assert.deepEqual(alice.all("link").map((e) => e.path), ["relayed"]);
  assert.deepEqual(bob.all("link").map((e) => e.path), ["relayed"]);

  await bob.command({ cmd: "read", id: got.id });
  assert.equal((await alice.waitFor("read")).id, got.id);
  await bob.command({ cmd: "send", to: "alice", text: "and back from b" });
  assert.equal((await alice.waitFor("message")).text, "and back from b");
  await bob.waitFor("delivered");
  assert.equal(alice.all("link").length, 1, "the answer took the same relayed link");

  const mark = alice.mark();
  await alice.command({ cmd: "peers" });
  const list = await alice.waitFor("peers", { after: mark });
  assert.deepEqual(list.links, { [bob.id]: "relayed" });
  // The circuit is on bob's instance; its dashboard counts it and its bytes.
  const metrics = await (await fetch(new URL("/metrics", cluster.instance("b").dashboardUrl)))
    .text();
  assert.match(metrics, /^p2pchat_relay_circuits_opened_total 1$/m);
  const relayed = Number(/^p2pchat_relay_bytes_total (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(relayed > 0, `relayed bytes counted: ${relayed}`);
});
