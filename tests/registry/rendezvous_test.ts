/**
 * The registry as a meeting point, spoken to directly: it times hole
 * punches with each side's observed address, relays circuits within their
 * limits, and a circuit that misbehaves costs only itself.
 */

import assert from "node:assert/strict";
import { newRendezvousId } from "../../protocol/mod.ts";
import { keepAlive, type RawPeer } from "../../sim/mod.ts";
import { KEEPALIVE_MS, registeredPeer, startRegistry } from "./registry_fixture.ts";

/** `bytes` of relay payload, base64, as one `relay_data` message. */
function relayData(circuit: string, bytes: Uint8Array) {
  return { type: "relay_data", circuit, data: bytes.toBase64() };
}

/** Opens a circuit from `opener` to `target` and has the target accept it. */
async function openCircuit(opener: RawPeer, target: RawPeer): Promise<string> {
  const circuit = newRendezvousId();
  await opener.send({ type: "relay_open", circuit, to: target.identity.id });
  const incoming = await target.next("relay_incoming");
  assert.equal(incoming.circuit, circuit);
  assert.equal(incoming.from, opener.identity.id);
  await target.send({ type: "relay_accept", circuit });
  await opener.next("relay_ready", undefined, (m) => m.circuit === circuit);
  return circuit;
}

Deno.test("a punch request sends both peers punch_now with the other's observed address", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  await using bob = await registeredPeer(registry, "bob");
  const punch = newRendezvousId();
  await alice.send({ type: "punch_request", punch, to: bob.identity.id });

  const toAlice = await alice.next("punch_now");
  const toBob = await bob.next("punch_now");
  // Where the registry sees each connection come from: its address and port.
  const seen = (peer: RawPeer) => `127.0.0.1:${peer.stream.localAddr.port}`;
  assert.deepEqual(toAlice, {
    type: "punch_now",
    punch,
    peer: bob.identity.id,
    address: seen(bob),
    delayMs: toAlice.delayMs,
  });
  assert.deepEqual(toBob, { ...toAlice, peer: alice.identity.id, address: seen(alice) });
  assert.ok(toAlice.delayMs > 0, "both are told to wait the same while the messages travel");

  await alice.send({ type: "punch_result", punch, outcome: "connected" });
  await alice.heartbeat(); // the result was read before the ack
  assert.deepEqual(registry.stats().punches, {
    connected: 1,
    failed: 0,
    declined: 0,
    unavailable: 0,
  });
});

Deno.test("a punch to a peer that is not online, or that declines, fails back to the requester", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  await using bob = await registeredPeer(registry, "bob");

  const nowhere = newRendezvousId();
  await alice.send({ type: "punch_request", punch: nowhere, to: "a".repeat(52) });
  assert.deepEqual(await alice.next("punch_failed"), {
    type: "punch_failed",
    punch: nowhere,
    reason: "offline",
  });

  const declined = newRendezvousId();
  await alice.send({ type: "punch_request", punch: declined, to: bob.identity.id });
  await bob.next("punch_now");
  await bob.send({ type: "punch_result", punch: declined, outcome: "declined" });
  assert.equal(
    (await alice.next("punch_failed", undefined, (m) => m.punch === declined)).reason,
    "declined",
  );
  // A report from the target about someone else's try does not count as its outcome.
  assert.deepEqual(registry.stats().punches, {
    connected: 0,
    failed: 0,
    declined: 1,
    unavailable: 1,
  });
});

Deno.test("a relay circuit carries bytes both ways, counts them, and closes at both ends", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  await using bob = await registeredPeer(registry, "bob");
  const circuit = await openCircuit(alice, bob);

  const there = crypto.getRandomValues(new Uint8Array(1000));
  await alice.send(relayData(circuit, there));
  assert.deepEqual(Uint8Array.fromBase64((await bob.next("relay_data")).data), there);
  const back = crypto.getRandomValues(new Uint8Array(300));
  await bob.send(relayData(circuit, back));
  assert.deepEqual(Uint8Array.fromBase64((await alice.next("relay_data")).data), back);
  assert.equal(registry.stats().relay.circuits, 1);
  assert.equal(registry.stats().relay.bytes, 1300);

  await bob.send({ type: "relay_close", circuit, reason: "closed" });
  assert.deepEqual(await alice.next("relay_close"), {
    type: "relay_close",
    circuit,
    reason: "closed",
  });
  assert.equal(registry.stats().relay.circuits, 0);
  // Bytes for a circuit that is gone go nowhere.
  await alice.send(relayData(circuit, there));
  await alice.heartbeat();
  assert.deepEqual(bob.pending("relay_data"), []);
});

Deno.test("relaying refuses when off, when full, and when the target is offline or refuses", async (t) => {
  await t.step("--no-relay", async () => {
    await using registry = await startRegistry({ relay: { enabled: false } });
    await using alice = await registeredPeer(registry, "alice");
    await using bob = await registeredPeer(registry, "bob");
    const circuit = newRendezvousId();
    await alice.send({ type: "relay_open", circuit, to: bob.identity.id });
    assert.equal((await alice.next("relay_close")).reason, "disabled");
    assert.deepEqual(bob.pending("relay_incoming"), []);
  });
  await t.step("--relay-max", async () => {
    await using registry = await startRegistry({ relay: { maxCircuits: 1 } });
    await using alice = await registeredPeer(registry, "alice");
    await using bob = await registeredPeer(registry, "bob");
    await openCircuit(alice, bob);
    const second = newRendezvousId();
    await alice.send({ type: "relay_open", circuit: second, to: bob.identity.id });
    assert.deepEqual(await alice.next("relay_close"), {
      type: "relay_close",
      circuit: second,
      reason: "full",
    });
  });
  await t.step("target offline, or refusing", async () => {
    await using registry = await startRegistry();
    await using alice = await registeredPeer(registry, "alice");
    await using bob = await registeredPeer(registry, "bob");
    const nowhere = newRendezvousId();
    await alice.send({ type: "relay_open", circuit: nowhere, to: "a".repeat(52) });
    assert.equal((await alice.next("relay_close")).reason, "offline");
    const refused = newRendezvousId();
    await alice.send({ type: "relay_open", circuit: refused, to: bob.identity.id });
    await bob.next("relay_incoming");
    await bob.send({ type: "relay_close", circuit: refused, reason: "refused" });
    assert.equal((await alice.next("relay_close")).reason, "refused");
    assert.equal(registry.stats().relay.circuitsRefused, 2);
  });
});

Deno.test("an idle circuit is closed, and so is one whose end leaves", async () => {
  await using registry = await startRegistry({ relay: { idleMs: 300 } });
  await using alice = await registeredPeer(registry, "alice");
  await using bob = await registeredPeer(registry, "bob");
  using _alive = keepAlive([alice, bob], KEEPALIVE_MS);
  const idle = await openCircuit(alice, bob);
  const closes = await Promise.all([alice.next("relay_close"), bob.next("relay_close")]);
  assert.deepEqual(closes.map((m) => [m.circuit, m.reason]), [[idle, "idle"], [idle, "idle"]]);

  await using carol = await registeredPeer(registry, "carol");
  const left = await openCircuit(alice, carol);
  await carol.leave();
  assert.deepEqual(await alice.next("relay_close"), {
    type: "relay_close",
    circuit: left,
    reason: "peer_left",
  });
});

Deno.test("a circuit pushed past its rate is throttled, then cut, and nobody else notices", async () => {
  // 80 kbps = 10,000 bytes/s per direction.
  await using registry = await startRegistry({ relay: { kbps: 80 } });
  await using alice = await registeredPeer(registry, "alice");
  await using bob = await registeredPeer(registry, "bob");
  await using carol = await registeredPeer(registry, "carol");
  await using dave = await registeredPeer(registry, "dave");
  using _alive = keepAlive([alice, bob, carol, dave], KEEPALIVE_MS);
  const flood = await openCircuit(alice, bob);
  const calm = await openCircuit(carol, dave);

  // 30,000 bytes at once (within the 64 KiB window): they leave at the
  // circuit's rate, each chunk acknowledged as it goes.
  const started = performance.now();
  for (let i = 0; i < 15; i++) {
    await alice.send(relayData(flood, new Uint8Array(2000).fill(i)));
  }
  await carol.send(relayData(calm, new Uint8Array(100)));
  await dave.next("relay_data"); // the other circuit is not held up
  const received: number[] = [];
  for (let i = 0; i < 15; i++) {
    received.push(Uint8Array.fromBase64((await bob.next("relay_data")).data)[0]);
  }
  const elapsed = performance.now() - started;
  assert.deepEqual(received, [...Array(15).keys()], "in order, none lost");
  const acked = alice.pending("relay_ack").reduce(
    (sum, m) => sum + (m as { bytes: number }).bytes,
    0,
  );
  assert.equal(acked, 30_000, "every byte passed on was acknowledged to its sender");
  alice.discard("relay_ack");
  // A burst of 4 KiB goes at once and the last chunk leaves on credit: the
  // other 23,904 bytes take at least 2.39 s at 10,000 bytes/s.
  assert.ok(elapsed >= 2350, `30,000 bytes crossed in ${Math.round(elapsed)} ms`);
  assert.ok(registry.stats().relay.throttled > 0);

  // Far past its window (a sender that ignores relay_ack): only that circuit is cut.
  for (let i = 0; i < 48; i++) {
    await alice.send(relayData(flood, new Uint8Array(2000)));
  }
  assert.deepEqual(
    (await Promise.all([alice.next("relay_close"), bob.next("relay_close")])).map((m) => m.reason),
    ["rate_limited", "rate_limited"],
  );
  await carol.send(relayData(calm, new Uint8Array(100)));
  await dave.next("relay_data");
  await alice.heartbeat();
  assert.equal(registry.stats().relay.circuits, 1);
  assert.equal(registry.peers().length, 4, "everyone is still registered");
});

Deno.test("relay bytes outside any circuit count against the connection's frame limit", async () => {
  await using registry = await startRegistry({ maxFramesPerSecond: 10 });
  await using alice = await registeredPeer(registry, "alice");
  const stray = newRendezvousId();
  for (let i = 0; i < 40; i++) await alice.send(relayData(stray, new Uint8Array(10)));
  const error = await alice.next("error");
  assert.equal(error.code, "rate_limited");
});
