import assert from "node:assert/strict";
import type { Registry } from "../../registry/mod.ts";
import { RedisServer } from "../support/redis_server.ts";
import { RawPeer } from "../../sim/mod.ts";
import { expectRefusal } from "../registry/registry_fixture.ts";
import { addressOf, startInstance } from "./cluster_fixture.ts";

async function peerOn(registry: Registry, name: string): Promise<RawPeer> {
  const peer = await RawPeer.connect(addressOf(registry), { trackPeers: true, label: name });
  try {
    await peer.register({ name });
    await peer.waitForPeers(() => true);
  } catch (error) {
    await peer.close();
    throw error;
  }
  return peer;
}

Deno.test("peers on different instances see each other, stamped with the same sequence", async () => {
  await using redis = await RedisServer.start();
  await using a = await startInstance(redis, "a");
  await using b = await startInstance(redis, "b");
  await using alice = await peerOn(a, "alice");
  await using bob = await peerOn(b, "bob");
  await alice.waitForPeers((peers) => peers.has(bob.identity.id));
  await bob.waitForPeers((peers) => peers.has(alice.identity.id));
  await using carol = await peerOn(a, "carol");
  const sawCarol = (peer: RawPeer) =>
    peer.messages.find((m) =>
      m.type === "peers_delta" &&
      m.changes.some((c) => c.op === "joined" && c.peer.id === carol.identity.id)
    );
  await alice.waitForPeers((peers) => peers.has(carol.identity.id));
  await bob.waitForPeers((peers) => peers.has(carol.identity.id));
  // The same change has the same place in the list's history on every instance.
  const [onA, onB] = [sawCarol(alice), sawCarol(bob)];
  assert.ok(onA?.type === "peers_delta" && onB?.type === "peers_delta");
  assert.equal(onA.epoch, onB.epoch);
  assert.equal(onA.seq, onB.seq);
  const names = (r: Registry) => r.peers().map((p) => `${p.name}@${p.instance}`).sort();
  assert.deepEqual(names(a), ["alice@a", "bob@b", "carol@a"]);
  assert.deepEqual(names(b), names(a));
  await bob.send({ type: "bye" });
  await alice.waitForPeers((peers) => !peers.has(bob.identity.id));
  const left = alice.messages.findLast((m) => m.type === "peers_delta");
  assert.ok(left?.type === "peers_delta");
  assert.deepEqual(left.changes, [{ op: "left", id: bob.identity.id, reason: "bye" }]);
});

Deno.test("two peers claiming one name on two instances at once: exactly one wins", async () => {
  await using redis = await RedisServer.start();
  await using a = await startInstance(redis, "a");
  await using b = await startInstance(redis, "b");
  for (let round = 0; round < 5; round++) {
    const name = `dana${round}`;
    await using first = await RawPeer.connect(addressOf(a), { label: `${name} on a` });
    await using second = await RawPeer.connect(addressOf(b), { label: `${name} on b` });
    await Promise.all([first.hello(), second.hello()]);
    const [one, two] = await Promise.all([
      first.registration({ name }),
      second.registration({ name }),
    ]);
    const outcomes = await Promise.allSettled([
      first.send(one).then(() => first.next("welcome", 5000)),
      second.send(two).then(() => second.next("welcome", 5000)),
    ]);
    const refusals = await Promise.all([first, second].map(async (peer, i) => {
      if (outcomes[i].status === "fulfilled") return undefined;
      await expectRefusal(peer, "name_taken");
      return peer;
    }));
    const winners = outcomes.filter((o) => o.status === "fulfilled");
    assert.equal(winners.length, 1, `round ${round}: exactly one registration wins`);
    assert.equal(refusals.filter(Boolean).length, 1);
    const holders = a.peers().filter((p) => p.name === name);
    assert.equal(holders.length, 1);
    // Both instances agree on who holds it.
    await waitFor(() => b.peers().some((p) => p.name === name));
    assert.equal(b.peers().find((p) => p.name === name)?.id, holders[0].id);
  }
});

Deno.test("kick from one instance's side reaches a peer registered on another", async () => {
  await using redis = await RedisServer.start();
  await using a = await startInstance(redis, "a");
  await using b = await startInstance(redis, "b");
  await using alice = await peerOn(a, "alice");
  await using bob = await peerOn(b, "bob");
  await alice.waitForPeers((peers) => peers.has(bob.identity.id));
  assert.equal(await a.kick(bob.identity.id), true);
  const bye = await bob.next("bye");
  assert.equal(bye.reason, "kicked");
  await bob.waitClosed();
  await alice.waitForPeers((peers) => !peers.has(bob.identity.id));
  const left = alice.messages.findLast((m) => m.type === "peers_delta");
  assert.ok(left?.type === "peers_delta");
  assert.deepEqual(left.changes, [{ op: "left", id: bob.identity.id, reason: "kicked" }]);
  assert.equal(b.stats().leaves.kicked, 1, "its own instance counts the kick");
  assert.equal(await a.kick(bob.identity.id), false, "kicking someone offline does nothing");
});

Deno.test("a peer that moves to another instance resumes its list with the deltas it missed", async () => {
  await using redis = await RedisServer.start();
  await using a = await startInstance(redis, "a");
  await using b = await startInstance(redis, "b");
  await using alice = await peerOn(a, "alice");
  const mover = await peerOn(a, "mover");
  await mover.waitForPeers((peers) => peers.has(alice.identity.id));
  const list = mover.peerList!;
  const position = { epoch: list.epoch!, seq: list.seq };
  await mover.close();
  // Things change while the mover is between instances.
  await using carol = await peerOn(b, "carol");
  await alice.waitForPeers((peers) => peers.has(carol.identity.id));
  await using moved = await RawPeer.connect(addressOf(b), {
    label: "mover again",
    identity: mover.identity,
  });
  await moved.register({ name: "mover", resume: position, reconnects: 1 });
  const catchUp = await moved.next("peers_delta");
  assert.equal(moved.pending("snapshot").length, 0, "no snapshot: the gap was still held");
  assert.equal(catchUp.epoch, position.epoch);
  assert.equal(catchUp.from ?? catchUp.seq, position.seq + 1);
  const joined = catchUp.changes.filter((c) => c.op === "joined").map((c) =>
    c.op === "joined" && c.peer.name
  );
  assert.ok(
    joined.includes("carol"),
    `carol is in the catch-up: ${JSON.stringify(catchUp.changes)}`,
  );
  await moved.heartbeat();
  assert.equal(moved.pending("snapshot").length, 0, "and no snapshot after it either");
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("an engine that went back in time (lost writes) makes the cluster form a new epoch", async () => {
  await using redis = await RedisServer.start();
  await using a = await startInstance(redis, "a");
  await using b = await startInstance(redis, "b");
  await using alice = await peerOn(a, "alice");
  await using bob = await peerOn(b, "bob");
  await alice.waitForPeers((peers) => peers.has(bob.identity.id));
  const epoch = a.cluster()!.list.epoch;
  // What a replica promoted after an asynchronous failover looks like: the
  // same epoch, but a sequence behind what the instances already read.
  const { Redis } = await import("ioredis");
  const client = new Redis(redis.url);
  try {
    await client.hset("{p2pchat}:meta", "seq", 0);
  } finally {
    client.disconnect();
  }
  await waitFor(
    () =>
      [a, b].every((r) => r.cluster()!.list.epoch !== epoch && r.cluster()!.engine.status === "up"),
    10_000,
  );
  assert.equal(a.cluster()!.list.epoch, b.cluster()!.list.epoch);
  // Both peers get the new epoch's list, and it still holds both of them.
  for (const peer of [alice, bob]) {
    await peer.waitForPeers((peers) => peers.size === 2 && peer.peerList!.epoch !== epoch);
  }
  assert.deepEqual(a.peers().map((p) => p.name).sort(), ["alice", "bob"]);
});

Deno.test("a burst of joins over two instances is taken in one epoch, none refused", async () => {
  await using redis = await RedisServer.start();
  await using a = await startInstance(redis, "a");
  await using b = await startInstance(redis, "b");
  const epoch = a.cluster()!.list.epoch;
  const peers: RawPeer[] = [];
  try {
    // Claims and stream reads overlap all the time here: nothing about that
    // may look like a lost epoch (which would refuse joins and re-send lists).
    const joins = Array.from(
      { length: 80 },
      (_, i) =>
        RawPeer.join(addressOf(i % 2 ? a : b), `burst${i}`, { reading: "list" }).then((peer) => {
          peers.push(peer);
        }),
    );
    const outcomes = await Promise.allSettled(joins);
    const refused = outcomes.filter((o) => o.status === "rejected");
    assert.deepEqual(refused, [], "every join was admitted");
    await waitFor(() => peers.every((peer) => peer.peerList!.peers.size === 80), 20_000);
    assert.equal(a.cluster()!.list.epoch, epoch);
    assert.equal(b.cluster()!.list.epoch, epoch);
    assert.ok(
      peers.every((peer) => peer.peerList!.snapshots === 1),
      "one snapshot each, no resend",
    );
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
  }
});
