/**
 * Punching and relaying between peers registered on different instances of a
 * cluster: the try or circuit lives on the target's instance, and the
 * requester's instance passes its messages on over Redis. Spoken to
 * directly here (raw peers, two in-process instances, a real Redis); the
 * same with real peer processes is in relay_test.ts.
 */

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createLogger } from "../../log/mod.ts";
import { newRendezvousId } from "../../protocol/mod.ts";
import type { Registry } from "../../registry/mod.ts";
import { RawPeer } from "../../sim/mod.ts";
import { RedisServer } from "../support/redis_server.ts";
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

/** Two instances, alice on `a` and bob on `b`, each listing the other. */
async function twoInstances() {
  const redis = await RedisServer.start();
  const logged: string[] = [];
  const a = await startInstance(redis, "a");
  const b = await startInstance(redis, "b", {
    logger: createLogger({ write: (line) => logged.push(line), level: "warn" }),
  });
  const alice = await peerOn(a, "alice");
  const bob = await peerOn(b, "bob");
  await alice.waitForPeers((peers) => peers.has(bob.identity.id));
  await bob.waitForPeers((peers) => peers.has(alice.identity.id));
  return {
    redis,
    logged,
    a,
    b,
    alice,
    bob,
    async [Symbol.asyncDispose]() {
      await alice.close();
      await bob.close();
      await a.shutdown();
      await b.shutdown();
      await redis[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a punch between instances tells both peers the other's observed address", async () => {
  await using setup = await twoInstances();
  const { alice, bob } = setup;
  const punch = newRendezvousId();
  await alice.send({ type: "punch_request", punch, to: bob.identity.id });
  const toAlice = await alice.next("punch_now");
  const toBob = await bob.next("punch_now");
  const seen = (peer: RawPeer) => `127.0.0.1:${peer.stream.localAddr.port}`;
  assert.deepEqual(toAlice, {
    type: "punch_now",
    punch,
    peer: bob.identity.id,
    address: seen(bob),
    delayMs: toAlice.delayMs,
  });
  assert.deepEqual(toBob, { ...toAlice, peer: alice.identity.id, address: seen(alice) });

  // The outcome reaches the instance that arranged the try: the target's.
  await alice.send({ type: "punch_result", punch, outcome: "connected" });
  await alice.heartbeat();
  const counted = async () => {
    for (let i = 0; i < 100 && setup.b.stats().punches.connected === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return setup.b.stats().punches.connected;
  };
  assert.equal(await counted(), 1);

  // A declined try fails back to the requester across instances.
  const declined = newRendezvousId();
  await alice.send({ type: "punch_request", punch: declined, to: bob.identity.id });
  await bob.next("punch_now", undefined, (m) => m.punch === declined);
  await bob.send({ type: "punch_result", punch: declined, outcome: "declined" });
  assert.equal(
    (await alice.next("punch_failed", undefined, (m) => m.punch === declined)).reason,
    "declined",
  );
});

Deno.test("a relay circuit between instances carries bytes both ways and closes at both ends", async () => {
  await using setup = await twoInstances();
  const { alice, bob } = setup;
  // Whatever else lands on b's channel is refused with one line, and b goes on.
  {
    const client = new Redis(setup.redis.url);
    await client.publish("{p2pchat}:meet:b", "{not json");
    await client.publish("{p2pchat}:meet:b", JSON.stringify({ kind: "to", peer: "x" }));
    client.disconnect();
  }
  const circuit = newRendezvousId();
  await alice.send({ type: "relay_open", circuit, to: bob.identity.id });
  const incoming = await bob.next("relay_incoming");
  assert.equal(incoming.circuit, circuit);
  assert.equal(incoming.from, alice.identity.id);
  await bob.send({ type: "relay_accept", circuit });
  await alice.next("relay_ready", undefined, (m) => m.circuit === circuit);

  const there = crypto.getRandomValues(new Uint8Array(2000));
  await alice.send({ type: "relay_data", circuit, data: there.toBase64() });
  assert.deepEqual(Uint8Array.fromBase64((await bob.next("relay_data")).data), there);
  assert.equal((await alice.next("relay_ack")).bytes, 2000, "the sender's window comes back");
  const back = crypto.getRandomValues(new Uint8Array(500));
  await bob.send({ type: "relay_data", circuit, data: back.toBase64() });
  assert.deepEqual(Uint8Array.fromBase64((await alice.next("relay_data")).data), back);
  // The circuit is counted where it lives: on the target's instance.
  assert.equal(setup.b.stats().relay.circuits, 1);
  assert.equal(setup.b.stats().relay.bytes, 2500);
  assert.equal(setup.a.stats().relay.circuits, 0);
  assert.equal(setup.logged.length, 2, setup.logged.join("\n"));
  assert.match(setup.logged[0], /malformed rendezvous envelope/);
  assert.match(setup.logged[1], /peer/);

  // The opener leaves: the target hears the circuit is over.
  await alice.close();
  assert.deepEqual(await bob.next("relay_close"), {
    type: "relay_close",
    circuit,
    reason: "peer_left",
  });
  assert.equal(setup.b.stats().relay.circuits, 0);
});
