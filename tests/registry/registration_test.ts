import assert from "node:assert/strict";
import { keepAlive, RawPeer } from "../../sim/mod.ts";
import {
  addressOf,
  EVICT_AFTER,
  HEARTBEAT_MS,
  KEEPALIVE_MS,
  registeredPeer,
  startRegistry,
} from "./registry_fixture.ts";

Deno.test("a registering peer is welcomed at its observed address, then sees itself listed", async () => {
  await using registry = await startRegistry();
  await using alice = await RawPeer.connect(addressOf(registry), { trackPeers: true });

  const challenge = await alice.hello();
  assert.equal(challenge.epoch, registry.info().epoch);
  assert.equal(challenge.protocol, 1);
  const welcome = await alice.register({ name: "alice", listenPort: 4001 });
  assert.deepEqual(welcome, {
    type: "welcome",
    id: alice.identity.id,
    name: "alice",
    address: "127.0.0.1:4001",
    epoch: registry.info().epoch,
    heartbeatMs: HEARTBEAT_MS,
    evictAfter: EVICT_AFTER,
  });

  const snapshot = await alice.next("snapshot");
  assert.equal(snapshot.epoch, welcome.epoch);
  assert.equal(snapshot.more, false);
  assert.deepEqual(snapshot.peers, [
    { id: alice.identity.id, name: "alice", address: "127.0.0.1:4001" },
  ]);
  assert.deepEqual(alice.messages.map((m) => m.type), ["challenge", "welcome", "snapshot"]);

  const [record] = registry.peers();
  assert.equal(record.id, alice.identity.id);
  assert.equal(record.address, "127.0.0.1:4001");
  assert.equal(record.remoteAddress, "127.0.0.1");
  assert.equal(record.publicKey, alice.identity.publicKeyBase64);
  assert.equal(record.reconnects, 0);
  assert.equal(registry.stats().registrations, 1);
  assert.equal(registry.recentEvents().at(-1)?.kind, "join");
});

Deno.test("a second peer's join reaches the first as the next delta of the same epoch", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice", { listenPort: 4001 });
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const first = alice.peerList!;
  const firstSeq = first.seq;

  await using bob = await registeredPeer(registry, "bob", { listenPort: 4002 });

  const delta = await alice.next("peers_delta");
  assert.equal(delta.epoch, first.epoch);
  assert.equal(delta.seq, firstSeq + 1);
  assert.deepEqual(delta.changes, [
    { op: "joined", peer: { id: bob.identity.id, name: "bob", address: "127.0.0.1:4002" } },
  ]);

  // The newcomer's snapshot already includes the join and continues the same sequence.
  const bobs = bob.peerList!;
  assert.equal(bobs.epoch, first.epoch);
  assert.equal(bobs.seq, delta.seq);
  assert.deepEqual([...bobs.peers.keys()].sort(), [alice.identity.id, bob.identity.id].sort());
  assert.equal(first.snapshots, 1, "alice got no second snapshot");
});

Deno.test("an advertised address replaces the observed one everywhere it is published", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  await using bob = await RawPeer.connect(addressOf(registry));

  const welcome = await bob.register({
    name: "bob",
    listenPort: 4002,
    advertise: "203.0.113.7:5555",
  });

  assert.equal(welcome.address, "203.0.113.7:5555");
  const peers = await alice.waitForPeers((peers) => peers.has(bob.identity.id));
  assert.equal(peers.get(bob.identity.id)?.address, "203.0.113.7:5555");
  const record = registry.peer(bob.identity.id);
  assert.equal(record?.address, "203.0.113.7:5555");
  assert.equal(record?.remoteAddress, "127.0.0.1", "the observed IP is still recorded");
});

Deno.test("registering the same ID on a new connection replaces the old session", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  await using oldBob = await registeredPeer(registry, "bob", { listenPort: 4002 });
  await alice.waitForPeers((peers) => peers.has(oldBob.identity.id));

  await using newBob = await RawPeer.connect(addressOf(registry), {
    identity: oldBob.identity,
    trackPeers: true,
  });
  const welcome = await newBob.register({ name: "bob", listenPort: 4003, reconnects: 1 });
  assert.equal(welcome.address, "127.0.0.1:4003");

  await oldBob.waitClosed();
  const peers = await alice.waitForPeers((peers) =>
    peers.get(oldBob.identity.id)?.address === "127.0.0.1:4003"
  );
  assert.equal(peers.size, 2);
  // A later join proves no "left" for bob was still on its way.
  await using carol = await registeredPeer(registry, "carol");
  await alice.waitForPeers((peers) => peers.has(carol.identity.id));
  const bobChanges = alice.messages.flatMap((m) =>
    m.type === "peers_delta"
      ? m.changes.filter((c) => (c.op === "left" ? c.id : c.peer.id) === oldBob.identity.id)
      : []
  );
  assert.deepEqual(bobChanges.map((c) => c.op), ["joined", "updated"]);

  const bobs = registry.peers().filter((p) => p.id === oldBob.identity.id);
  assert.equal(bobs.length, 1);
  assert.equal(bobs[0].address, "127.0.0.1:4003");
  assert.equal(registry.stats().sessionReplacements, 1);
  assert.equal(registry.stats().leaves.timeout, 0);
  await newBob.heartbeat();
  await newBob.waitForPeers((peers) => peers.size === 3);
});

Deno.test("a registration that reports reconnects is recorded as a rejoin", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);

  await using bob = await registeredPeer(registry, "bob", { reconnects: 1 });

  assert.equal(registry.peer(bob.identity.id)?.reconnects, 1);
  assert.equal(registry.peer(alice.identity.id)?.reconnects, 0);
  assert.equal(registry.stats().peerReconnects, 1);
  const event = registry.recentEvents().at(-1);
  assert.equal(event?.kind, "rejoin");
  assert.equal(event?.id, bob.identity.id);
  // To the others it is simply a peer that came online.
  const delta = await alice.next("peers_delta");
  assert.deepEqual(delta.changes.map((c) => c.op), ["joined"]);
});
