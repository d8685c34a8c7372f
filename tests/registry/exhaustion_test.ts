/**
 * One attacker must not be able to exhaust the registry: each test makes
 * the attack against a real registry on loopback (bounded in count and
 * time) and sees it refused or contained while others are still served.
 */

import assert from "node:assert/strict";
import { encodeMessage } from "../../protocol/mod.ts";
import { keepAlive, RawPeer } from "../../sim/mod.ts";
import {
  addressOf,
  assertStillServed,
  expectRefusal,
  KEEPALIVE_MS,
  registeredPeer,
  startRegistry,
} from "./registry_fixture.ts";
import { waitUntil } from "../support/wait.ts";

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("repeated snapshot_request gets one snapshot per interval; a peer that names its (epoch, seq) gets deltas", async () => {
  await using registry = await startRegistry({ snapshotIntervalMs: 30_000 });
  await using attacker = await registeredPeer(registry, "attacker");
  using _beat = keepAlive([attacker], KEEPALIVE_MS);
  const snapshots = () => attacker.messages.filter((m) => m.type === "snapshot").length;
  assert.equal(snapshots(), 1, "the registration's own snapshot");

  // 31 bytes in, the whole list out: 20 times in a row (within the frame budget).
  for (let i = 0; i < 20; i++) await attacker.send({ type: "snapshot_request" });
  await settle(500);
  assert.equal(snapshots(), 1, "no further snapshot inside the interval");
  assert.ok(registry.stats().snapshotsDeferred >= 1);

  // A genuine catch-up names what it holds and gets just what it missed.
  await using honest = await registeredPeer(registry, "honest");
  const list = honest.peerList!;
  await honest.send({ type: "snapshot_request", epoch: list.epoch, seq: list.seq });
  await using carol = await registeredPeer(registry, "carol");
  await honest.waitForPeers((peers) => peers.has(carol.identity.id));
  assert.equal(honest.messages.filter((m) => m.type === "snapshot").length, 1);
  assert.equal(registry.stats().deltaResumes, 1);
  await assertStillServed(registry, attacker, "dave");
});

Deno.test("snapshots sent to one IP share a byte budget per minute", async () => {
  await using registry = await startRegistry({
    snapshotIntervalMs: 0,
    snapshotBytesPerMinutePerIp: 1000,
    heartbeatMs: 5000, // nobody is evicted while the test looks
  });
  // Each registration from this IP costs a snapshot; the budget runs out.
  const peers: RawPeer[] = [];
  try {
    for (let i = 0; i < 12; i++) {
      const peer = await RawPeer.connect(addressOf(registry), { trackPeers: true });
      peers.push(peer);
      await peer.register({ name: `p${i}` });
    }
    await settle(300);
    const stats = registry.stats();
    assert.ok(stats.snapshotsDeferred >= 1, `deferred: ${stats.snapshotsDeferred}`);
    assert.ok(stats.snapshotsSent < 12, `sent ${stats.snapshotsSent} of 12`);
    assert.ok(peers.every((peer) => !peer.ended), "deferred, not cut off");
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
  }
});

Deno.test("before registering, a frame may be 4 KiB: a 1 MiB announcement is refused at its header", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, 1024 * 1024 - 1);
  const attackers = await Promise.all(
    Array.from({ length: 64 }, () => RawPeer.connect(addressOf(registry))),
  );
  try {
    await Promise.all(attackers.map(async (peer) => {
      await peer.sendRaw(header);
      await peer.sendRaw(new Uint8Array(2000));
      await expectRefusal(peer, "frame_too_large");
      const error = peer.messages.at(-1);
      assert.ok(error?.type === "error" && /exceeds the 4096-byte limit/.test(error.message));
    }));
  } finally {
    await Promise.all(attackers.map((peer) => peer.close()));
  }
  await assertStillServed(registry, alice, "bob");
});

Deno.test("a connection's bytes are counted before decoding: large frames in a burst are cut", async () => {
  await using registry = await startRegistry();
  await using flooder = await registeredPeer(registry, "flooder");
  const padded = encodeMessage({ type: "heartbeat", seq: 1, pad: "x".repeat(4000) });
  for (let i = 0; i < 20; i++) flooder.stream.writeFrame(padded);
  await flooder.stream.flushed();
  await expectRefusal(flooder, "rate_limited");
  const error = flooder.messages.at(-1);
  assert.ok(error?.type === "error" && /bytes per second/.test(error.message), String(error));
});

Deno.test("connections that have not registered are capped in total, not only per IP", async () => {
  await using registry = await startRegistry({ maxUnregistered: 10, registerTimeoutMs: 10_000 });
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const idle = await Promise.all(
    Array.from({ length: 10 }, () => RawPeer.connect(addressOf(registry))),
  );
  try {
    // Connected is not yet counted: wait until the registry has taken all ten (and alice).
    await waitUntil(() => registry.stats().connectionsAccepted >= 11, "ten idle connections");
    await using late = await RawPeer.connect(addressOf(registry));
    await expectRefusal(late, "rate_limited");
    const error = late.messages.at(-1);
    assert.ok(error?.type === "error" && /registering at once \(10\)/.test(error.message));
  } finally {
    await Promise.all(idle.map((peer) => peer.close()));
  }
  await settle(100);
  await assertStillServed(registry, alice, "bob");
});

Deno.test("one network cannot fill the registry or hold every name: peers per /24 are capped", async () => {
  await using registry = await startRegistry({ maxPeersPerNetwork: 3 });
  const online = [
    await registeredPeer(registry, "a"),
    await registeredPeer(registry, "b"),
    await registeredPeer(registry, "c"),
  ];
  // Silent, they would be evicted (300 ms) on a loaded machine, freeing a seat too early.
  using _beat = keepAlive(online, KEEPALIVE_MS);
  try {
    await using fourth = await RawPeer.connect(addressOf(registry));
    await assert.rejects(fourth.register({ name: "d" }), (error: Error) => {
      assert.match(
        error.message,
        /rate_limited: Too many peers online from 127\.0\.0\.0\/24 \(3\)/,
      );
      return true;
    });
    assert.equal(registry.stats().peersOnline, 3);
    // A seat freed is a seat again.
    await online.pop()!.send({ type: "bye" });
    await waitUntil(() => registry.stats().peersOnline === 2, "the bye to free a seat");
    await using later = await registeredPeer(registry, "d");
    assert.ok(registry.peer(later.identity.id));
  } finally {
    await Promise.all(online.map((peer) => peer.close()));
  }
});
