import assert from "node:assert/strict";
import type { PeerChange } from "../../protocol/mod.ts";
import { keepAlive, type RawPeer } from "../../sim/mod.ts";
import {
  EVICT_AFTER,
  HEARTBEAT_MS,
  KEEPALIVE_MS,
  registeredPeer,
  startRegistry,
} from "./registry_fixture.ts";

/** The `left` change for `id` that `observer` received, once it arrives. */
async function leftChange(observer: RawPeer, id: string): Promise<PeerChange> {
  await observer.waitForPeers((peers) => !peers.has(id));
  const change = observer.messages
    .flatMap((m) => m.type === "peers_delta" ? m.changes : [])
    .find((c) => c.op === "left" && c.id === id);
  assert.ok(change, `a "left" change for ${id}`);
  return change;
}

Deno.test("a heartbeat is acknowledged with the same sequence number", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");

  for (const seq of [42, 7, 0, Number.MAX_SAFE_INTEGER]) {
    await alice.send({ type: "heartbeat", seq });
  }
  const acks = [];
  for (let i = 0; i < 4; i++) acks.push((await alice.next("heartbeat_ack")).seq);
  assert.deepEqual(acks, [42, 7, 0, Number.MAX_SAFE_INTEGER]);

  const record = registry.peer(alice.identity.id);
  assert.equal(record?.heartbeats, 4);
  assert.ok(record.lastHeartbeatAt >= record.connectedAt);
  assert.equal(registry.stats().heartbeats, 4);
});

Deno.test("a peer that stops heartbeating is evicted after about evictAfter intervals", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  // Alice beats at exactly the advertised interval, as a real peer does.
  using _beat = keepAlive([alice], HEARTBEAT_MS);
  await using bob = await registeredPeer(registry, "bob");
  let leftAt: number | undefined;
  const unsubscribe = registry.subscribe((change) => {
    if (change.kind === "left" && change.peer.id === bob.identity.id) leftAt ??= Date.now();
  });
  try {
    await bob.heartbeat();
    const lastBeat = registry.peer(bob.identity.id)!.lastHeartbeatAt;

    const change = await leftChange(alice, bob.identity.id);
    assert.deepEqual(change, { op: "left", id: bob.identity.id, reason: "timeout" });
    assert.ok(leftAt !== undefined);
    const silence = leftAt - lastBeat;
    assert.ok(
      silence >= (EVICT_AFTER - 1) * HEARTBEAT_MS,
      `evicted after only ${silence} ms of silence`,
    );
    assert.ok(
      silence <= (EVICT_AFTER + 2) * HEARTBEAT_MS,
      `evicted only after ${silence} ms of silence`,
    );
  } finally {
    unsubscribe();
  }

  await bob.waitClosed();
  const evict = registry.recentEvents().find((e) => e.kind === "evict");
  assert.equal(evict?.id, bob.identity.id);
  assert.match(evict?.detail ?? "", /no heartbeat for \d+ ms/);
  assert.equal(registry.stats().evictions, 1);
  assert.equal(registry.stats().leaves.timeout, 1);
  assert.deepEqual(registry.peers().map((p) => p.name), ["alice"], "alice was never evicted");
});

Deno.test("a peer whose connection closes is removed at once with reason timeout", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  await using bob = await registeredPeer(registry, "bob");

  await bob.close();

  const change = await leftChange(alice, bob.identity.id);
  assert.deepEqual(change, { op: "left", id: bob.identity.id, reason: "timeout" });
  assert.equal(registry.peer(bob.identity.id), undefined);
  // Noticed from the closed socket, not by waiting for missed heartbeats.
  assert.equal(registry.stats().evictions, 0);
  assert.equal(registry.recentEvents().at(-1)?.kind, "leave");
  assert.equal(registry.stats().leaves.timeout, 1);
});

Deno.test("a peer that says bye is removed with reason bye and disconnected", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  await using bob = await registeredPeer(registry, "bob");

  await bob.send({ type: "bye" });

  const change = await leftChange(alice, bob.identity.id);
  assert.deepEqual(change, { op: "left", id: bob.identity.id, reason: "bye" });
  await bob.waitClosed();
  const event = registry.recentEvents().at(-1);
  assert.equal(event?.kind, "leave");
  assert.equal(event?.detail, "bye");
  assert.deepEqual(registry.stats().leaves, { bye: 1, timeout: 0, kicked: 0 });
});

Deno.test("a snapshot request is answered with a fresh snapshot that deltas continue", async () => {
  // No interval between snapshots here (it is tested in exhaustion_test.ts).
  await using registry = await startRegistry({ snapshotIntervalMs: 0 });
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  await using bob = await registeredPeer(registry, "bob");
  await alice.waitForPeers((peers) => peers.size === 2);
  const seqBefore = alice.peerList!.seq;
  alice.discard("snapshot");

  await alice.send({ type: "snapshot_request" });

  const snapshot = await alice.next("snapshot");
  assert.equal(snapshot.seq, seqBefore);
  assert.equal(snapshot.epoch, registry.info().epoch);
  assert.deepEqual(
    snapshot.peers.map((p) => p.name).sort(),
    ["alice", "bob"],
  );
  assert.equal(alice.peerList!.snapshots, 2);

  await using carol = await registeredPeer(registry, "carol");
  const peers = await alice.waitForPeers((peers) => peers.has(carol.identity.id));
  assert.equal(peers.size, 3);
  assert.equal(alice.peerList!.seq, seqBefore + 1, "the next delta follows the snapshot");
  assert.equal(bob.peerList!.snapshots, 1, "only alice asked");
});

Deno.test("a kicked peer is told so and the others see it leave with reason kicked", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  await using bob = await registeredPeer(registry, "bob");

  assert.equal(registry.kick(bob.identity.id), true);

  const bye = await bob.next("bye");
  assert.deepEqual(bye, { type: "bye", reason: "kicked" });
  await bob.waitClosed();
  const change = await leftChange(alice, bob.identity.id);
  assert.deepEqual(change, { op: "left", id: bob.identity.id, reason: "kicked" });
  const event = registry.recentEvents().at(-1);
  assert.equal(event?.kind, "kick");
  assert.equal(event?.id, bob.identity.id);
  assert.deepEqual(registry.stats().leaves, { bye: 0, timeout: 0, kicked: 1 });
  assert.equal(registry.kick(bob.identity.id), false, "kicking someone offline does nothing");
});
