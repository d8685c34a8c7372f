/**
 * End to end, with real processes: registry instances sharing a real Redis,
 * peers spread over them, instances killed and frozen.
 */

import assert from "node:assert/strict";
import type { PeerProcess } from "../support/processes.ts";
import { TestCluster } from "../support/cluster.ts";
import { knownPeers, sameNames, waitUntil } from "../support/wait.ts";

/** Waits until every peer's list is exactly the other peers in `online`. */
async function converged(online: PeerProcess[], timeoutMs = 15_000): Promise<void> {
  await waitUntil(
    () =>
      online.every((peer) =>
        sameNames(knownPeers(peer), online.filter((p) => p !== peer).map((p) => p.name).sort())
      ),
    `every list to be ${online.map((p) => p.name).join(", ")}: ` +
      online.map((p) => `${p.name} knows ${knownPeers(p).join(",")}`).join("; "),
    timeoutMs,
  );
}

/** `peer_left`/`peer_joined` events `peer` emitted from event index `after` on. */
function membershipNews(peer: PeerProcess, after: number): string[] {
  return peer.events.slice(after).flatMap((event) =>
    event.event === "peer_left"
      ? [`${peer.name}: ${event.peer.name} left (${event.reason})`]
      : event.event === "peer_joined"
      ? [`${peer.name}: ${event.peer.name} joined`]
      : []
  );
}

async function apiPeers(url: string): Promise<{ name: string; instance: string }[]> {
  const response = await fetch(new URL("/api/peers", url));
  return (await response.json()).peers;
}

Deno.test("three instances: peers spread over them see each other and chat", async () => {
  await using cluster = await TestCluster.start(["a", "b", "c"]);
  const alice = await cluster.peer("alice", { registry: cluster.instance("a").address });
  const bob = await cluster.peer("bob", { registry: cluster.instance("b").address });
  const carol = await cluster.peer("carol", { registry: cluster.instance("c").address });
  await converged([alice, bob, carol]);
  assert.equal(alice.all("registered")[0].registry, cluster.instance("a").address);
  await alice.command({ cmd: "send", to: "carol", text: "hello across instances" });
  const message = await carol.waitFor("message", {
    test: (e) => e.text === "hello across instances",
  });
  assert.equal(message.from.name, "alice");
  await alice.waitFor("delivered");
  await bob.command({ cmd: "broadcast", text: "hi all" });
  await alice.waitFor("message", { test: (e) => e.text === "hi all" });
  await carol.waitFor("message", { test: (e) => e.text === "hi all" });
  // Every dashboard shows the whole cluster, each peer with its instance.
  for (const name of ["a", "b", "c"]) {
    const rows = await apiPeers(cluster.instance(name).dashboardUrl);
    assert.deepEqual(
      rows.map((r) => `${r.name}@${r.instance}`).sort(),
      ["alice@a", "bob@b", "carol@c"],
    );
  }
});

Deno.test("a peer given one instance learns the others and moves there when it dies", async () => {
  await using cluster = await TestCluster.start(["a", "b"]);
  const a = cluster.instance("a");
  const b = cluster.instance("b");
  const watcher = await cluster.peer("watcher", { registry: b.address });
  const rover = await cluster.peer("rover", { registry: a.address });
  await converged([watcher, rover]);
  const since = watcher.mark();
  const roverSince = rover.mark();
  a.kill("SIGKILL");
  const moved = await rover.waitFor("registered", { after: roverSince });
  assert.equal(moved.registry, b.address, "it learned b's address from a's welcome");
  await converged([watcher, rover]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(membershipNews(watcher, since), [], "nobody saw rover leave and come back");
  assert.deepEqual(membershipNews(rover, roverSince), []);
});

Deno.test({
  name: "an instance SIGKILLed: its peers move unseen; one that does not come back times out",
  async fn() {
    await using cluster = await TestCluster.start(["a", "b", "c"]);
    const peers: PeerProcess[] = [];
    for (const [i, name] of ["p0", "p1", "p2", "p3", "p4", "p5"].entries()) {
      // Each lists its own instance first, then the others.
      const own = cluster.instance("abc"[i % 3]).address;
      const rest = cluster.addresses.split(",").filter((address) => address !== own);
      peers.push(await cluster.peer(name, { registry: [own, ...rest].join(",") }));
    }
    await converged(peers);
    const [p0, p1, p2, p3, p4, p5] = peers;
    const marks = new Map(peers.map((peer) => [peer, peer.mark()]));
    // a holds p0 and p3; p3 dies with it.
    cluster.instance("a").kill("SIGKILL");
    p3.kill("SIGKILL");
    await p0.waitFor("registered", { after: marks.get(p0) });
    const survivors = [p0, p1, p2, p4, p5];
    // p3 leaves after a's deadline and the move grace: (3 + 1) × 500 ms + 2 s + 10 s.
    await converged(survivors, 30_000);
    for (const peer of survivors) {
      assert.deepEqual(
        membershipNews(peer, marks.get(peer)!),
        [`${peer.name}: p3 left (timeout)`],
        `${peer.name} sees only p3 go`,
      );
    }
    const rows = await apiPeers(cluster.instance("b").dashboardUrl);
    assert.equal(rows.find((r) => r.name === "p0")?.instance === "a", false, "p0 moved off a");
  },
});

Deno.test("a frozen instance whose peers moved cannot undo their new sessions when it thaws", async () => {
  await using cluster = await TestCluster.start(["a", "b"]);
  const a = cluster.instance("a");
  const b = cluster.instance("b");
  const anchor = await cluster.peer("anchor", { registry: b.address });
  const mover = await cluster.peer("mover", { registry: `${a.address},${b.address}` });
  await converged([anchor, mover]);
  const since = anchor.mark();
  const moverSince = mover.mark();
  a.kill("SIGSTOP");
  // The mover hears nothing, gives up on a, registers on b.
  const moved = await mover.waitFor("registered", { after: moverSince, timeoutMs: 10_000 });
  assert.equal(moved.registry, b.address);
  // a wakes up holding a stale session for mover: its writes must not win.
  a.kill("SIGCONT");
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await converged([anchor, mover]);
  assert.deepEqual(membershipNews(anchor, since), [], "anchor never saw mover leave");
  for (const instance of [a, b]) {
    const rows = await apiPeers(instance.dashboardUrl);
    assert.equal(
      rows.find((r) => r.name === "mover")?.instance,
      "b",
      `seen from ${instance.address}`,
    );
  }
});

Deno.test({
  name:
    "a peer of a killed instance that gets in elsewhere only after its deadline is not seen leaving",
  async fn() {
    await using cluster = await TestCluster.start(["a"]);
    const a = cluster.instance("a");
    // b admits two peers: while watcher and filler hold it, the mover is
    // refused (registry_full) and keeps retrying, at least once a second.
    const b = await cluster.startInstance("b", { args: ["--max-peers", "2"] });
    const watcher = await cluster.peer("watcher", { registry: b.address });
    const filler = await cluster.peer("filler", { registry: b.address });
    const mover = await cluster.peer("mover", {
      registry: `${a.address},${b.address}`,
      args: ["--reconnect-max-ms", "1000"],
    });
    await converged([watcher, filler, mover]);
    const since = watcher.mark();
    const moverSince = mover.mark();
    a.kill("SIGKILL");
    // a's deadline, (3 + 1) × 500 ms + 2 s after its last tick, passes while b is full.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assert.equal(mover.all("registered").length, 1, "b had no room for the mover yet");
    await filler.quit();
    const moved = await mover.waitFor("registered", { after: moverSince, timeoutMs: 10_000 });
    assert.equal(moved.registry, b.address);
    await converged([watcher, mover]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(
      membershipNews(watcher, since),
      ["watcher: filler left (bye)"],
      "the mover was online all along: only the filler left",
    );
  },
});
