import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { type PeerProcess, RegistryProcess } from "../support/processes.ts";
import { knownPeers, sameNames, waitUntil } from "../support/wait.ts";

Deno.test("peers keep chatting while the registry is down and re-register when it returns", async () => {
  await using network = await TestNetwork.start();
  const address = network.registry.address;
  const alice = await network.peer("alice");
  const bob = await network.peer("bob");
  const carol = await network.peer("carol");
  const everyone = [alice, bob, carol];
  for (const peer of everyone) {
    const others = ["alice", "bob", "carol"].filter((n) => n !== peer.name);
    await waitUntil(() => sameNames(knownPeers(peer), others), `${peer.name} to see the others`);
  }

  // The registry dies without a word.
  const marks = everyone.map((p) => p.mark());
  network.registry.kill("SIGKILL");
  await network.registry.exited;
  for (const [i, peer] of everyone.entries()) {
    const lost = await peer.waitFor("registry_lost", { after: marks[i] });
    assert.equal(lost.registry, address);
    assert.ok(lost.retryInMs > 0);
  }

  // Chat goes on over the direct links, both to peers already linked and to new ones.
  await alice.command({ cmd: "send", to: "bob", text: "registry is down" });
  const toBob = await bob.waitFor("message", { test: (e) => e.text === "registry is down" });
  await alice.waitFor("delivered", { test: (e) => e.id === toBob.id });
  await carol.command({ cmd: "send", to: "alice", text: "still here" });
  const toAlice = await alice.waitFor("message", { test: (e) => e.text === "still here" });
  await carol.waitFor("delivered", { test: (e) => e.id === toAlice.id });

  // The registry comes back on the same address; nobody is told to log in.
  await using second = await RegistryProcess.startAt(address);
  for (const [i, peer] of everyone.entries()) {
    const again = await peer.waitFor("registered", { after: marks[i] });
    assert.equal(again.reconnects, 1, `${peer.name} counts its reconnect`);
  }
  for (const peer of everyone) {
    const others = ["alice", "bob", "carol"].filter((n) => n !== peer.name);
    await waitUntil(() => sameNames(knownPeers(peer), others), `${peer.name} to converge`);
  }
  // And the new registry's list is whole: a newcomer (to the same address) sees all three.
  const dave = await network.peer("dave");
  await waitUntil(
    () => sameNames(knownPeers(dave), ["alice", "bob", "carol"]),
    "dave to see the three who came back",
  );
  assert.equal(await second.stop(), 0);
});

/** IDs the registry lists, from its dashboard API. */
async function listedIds(registry: RegistryProcess): Promise<string[]> {
  const response = await fetch(new URL("/api/peers", registry.dashboardUrl));
  const { peers } = await response.json() as { peers: { id: string }[] };
  return peers.map((p) => p.id).sort();
}

/** Departures and arrivals a peer reported from event index `after` on. */
function comings(peer: PeerProcess, after: number): string[] {
  return peer.events.slice(after).flatMap((e) =>
    e.event === "peer_left" || e.event === "peer_joined" ? [`${e.event} ${e.peer.name}`] : []
  );
}

Deno.test("a registry restart does not look like everyone left: only a peer that stays away leaves", async () => {
  await using network = await TestNetwork.start();
  const address = network.registry.address;
  const names = ["alice", "bob", "carol", "dave"];
  const peers: PeerProcess[] = [];
  for (const name of names) peers.push(await network.peer(name));
  for (const peer of peers) {
    const others = names.filter((n) => n !== peer.name);
    await waitUntil(() => sameNames(knownPeers(peer), others), `${peer.name} to see the others`);
  }

  // First outage: the registry is killed and comes back on the same port.
  const marks = peers.map((p) => p.mark());
  network.registry.kill("SIGKILL");
  await network.registry.exited;
  for (const [i, peer] of peers.entries()) await peer.waitFor("registry_lost", { after: marks[i] });
  await using second = await RegistryProcess.startAt(address);
  for (const [i, peer] of peers.entries()) await peer.waitFor("registered", { after: marks[i] });
  const everyone = peers.map((p) => p.id).sort();
  await waitUntil(
    async () => sameNames(await listedIds(second), everyone),
    "all four to re-register",
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
  for (const [i, peer] of peers.entries()) {
    assert.deepEqual(comings(peer, marks[i]), [], `${peer.name} saw nobody leave or join`);
  }

  // Second outage, and dave dies during it: everyone else hears of it exactly once.
  const [dave, ...rest] = [peers[3], ...peers.slice(0, 3)];
  const marks2 = rest.map((p) => p.mark());
  second.kill("SIGKILL");
  await second.exited;
  for (const [i, peer] of rest.entries()) await peer.waitFor("registry_lost", { after: marks2[i] });
  dave.kill("SIGKILL");
  await dave.exited;
  await using third = await RegistryProcess.startAt(address);
  for (const [i, peer] of rest.entries()) {
    const left = await peer.waitFor("peer_left", { after: marks2[i] });
    assert.equal(left.peer.name, "dave");
    assert.equal(left.reason, "timeout");
  }
  await waitUntil(
    async () => sameNames(await listedIds(third), rest.map((p) => p.id).sort()),
    "the three to re-register",
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
  for (const [i, peer] of rest.entries()) {
    assert.deepEqual(comings(peer, marks2[i]), ["peer_left dave"], peer.name);
    assert.deepEqual(knownPeers(peer), names.filter((n) => n !== peer.name && n !== "dave"));
  }
});

Deno.test("a registry stopped with SIGTERM says goodbye and exits 0", async () => {
  await using network = await TestNetwork.start();
  const { registry } = network;
  const alice = await network.peer("alice");
  const mark = alice.mark();
  assert.equal(await registry.stop(), 0);
  const lost = await alice.waitFor("registry_lost", { after: mark });
  assert.match(lost.reason, /shutting down/);
});

Deno.test(
  "a frozen registry is noticed through missing heartbeat acks and rejoined when it thaws",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    await using network = await TestNetwork.start();
    const { registry } = network;
    const alice = await network.peer("alice");
    const bob = await network.peer("bob");
    await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });

    const mark = alice.mark();
    registry.kill("SIGSTOP"); // its sockets stay open: only silence gives it away
    try {
      const lost = await alice.waitFor("registry_lost", { after: mark });
      assert.match(lost.reason, /no answer from the registry for \d+ ms/);
      await alice.command({ cmd: "send", to: "bob", text: "while frozen" });
      await bob.waitFor("message", { test: (e) => e.text === "while frozen" });
    } finally {
      registry.kill("SIGCONT");
    }
    const again = await alice.waitFor("registered", { after: mark, timeoutMs: 20_000 });
    assert.equal(again.reconnects, 1);
  },
);
