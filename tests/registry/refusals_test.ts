import assert from "node:assert/strict";
import { Identity } from "../../peer/mod.ts";
import { formatHostPort } from "../../protocol/mod.ts";
import type { Registry, RegistryStats } from "../../registry/mod.ts";
import { keepAlive, RawPeer, RegistrationRefused } from "../../sim/mod.ts";
import {
  addressOf,
  assertStillServed,
  expectRefusal,
  idsInDeltas,
  KEEPALIVE_MS,
  registeredPeer,
  startRegistry,
} from "./registry_fixture.ts";

/** Asserts how much two refusal counters grew since `before`. */
function assertCounted(
  registry: Registry,
  before: RegistryStats,
  expected: { registrationsRefused: number; framesRejected: number },
): void {
  const after = registry.stats();
  assert.deepEqual({
    registrationsRefused: after.registrationsRefused - before.registrationsRefused,
    framesRejected: after.framesRejected - before.framesRejected,
  }, expected);
}

Deno.test("a name already online under another ID is refused with name_taken", async (t) => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);

  for (const name of ["alice", "Alice", "ALICE", "ａｌｉｃｅ"]) {
    await t.step(`spelled ${JSON.stringify(name)}`, async () => {
      const before = registry.stats();
      await using impostor = await RawPeer.connect(addressOf(registry));
      await expectRefusal(impostor, "name_taken", impostor.register({ name }));
      assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
      assert.ok(!idsInDeltas(alice).has(impostor.identity.id), "others never saw the impostor");
      const refusal = registry.recentEvents().at(-1);
      assert.equal(refusal?.kind, "refuse");
      assert.equal(refusal?.id, impostor.identity.id);
    });
  }

  assert.equal(registry.peer(alice.identity.id)?.name, "alice");
  await assertStillServed(registry, alice, "carol");
});

Deno.test("a registration signed with another key is refused with bad_signature", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const before = registry.stats();

  await using mallory = await RawPeer.connect(addressOf(registry));
  const otherKey = await Identity.generate();
  await expectRefusal(
    mallory,
    "bad_signature",
    mallory.register({ name: "mallory", signWith: otherKey }),
  );

  assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
  assert.equal(registry.peer(mallory.identity.id), undefined);
  await assertStillServed(registry, alice, "carol");
  assert.ok(!idsInDeltas(alice).has(mallory.identity.id));
});

Deno.test("a registration signed for another registry is refused with wrong_registry", async (t) => {
  // 198.51.100.9:7070 stands for a port forward in front of this registry.
  await using registry = await startRegistry({ publicAddresses: ["198.51.100.9:7070"] });
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const port = addressOf(registry).port;
  const refusals: [string, { registry?: string; epoch?: string }, RegExp][] = [
    [
      "another address",
      { registry: `127.0.0.1:${port + 1}` },
      /is for the registry at 127\.0\.0\.1:/,
    ],
    [
      "another port forward",
      { registry: "198.51.100.10:7070" },
      /reached at 127\.0\.0\.1:\d+, 198\.51\.100\.9:7070/,
    ],
    [
      "another registry's epoch",
      { epoch: "someone-elses" },
      /epoch someone-elses; this registry's is /,
    ],
  ];
  for (const [what, override, why] of refusals) {
    await t.step(what, async () => {
      const before = registry.stats();
      await using mallory = await RawPeer.connect(addressOf(registry));
      await assert.rejects(mallory.register({ name: "mallory", ...override }), (error) => {
        assert.ok(error instanceof RegistrationRefused, String(error));
        assert.equal(error.code, "wrong_registry");
        assert.match(error.message, why);
        return true;
      });
      assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
    });
  }
  const accepted: [string, string][] = [
    ["the address as a mapped IPv6 literal", `[::ffff:127.0.0.1]:${port}`],
    ["the --public-address (a port forward)", "198.51.100.9:7070"],
  ];
  for (const [what, address] of accepted) {
    await t.step(`accepted: ${what}`, async () => {
      await using peer = await RawPeer.connect(addressOf(registry));
      const welcome = await peer.register({ name: `p${address.length}`, registry: address });
      assert.equal(welcome.id, peer.identity.id);
    });
  }
  await assertStillServed(registry, alice, "carol");
});

Deno.test("claiming an online peer's ID and key without its private key is refused", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice", { listenPort: 4001 });
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const before = registry.stats();

  // Everything public about alice, signed with mallory's own key.
  await using mallory = await RawPeer.connect(addressOf(registry));
  await expectRefusal(
    mallory,
    "bad_signature",
    mallory.register({ name: "alice", identity: alice.identity, signWith: mallory.identity }),
  );

  assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
  assert.equal(registry.peer(alice.identity.id)?.address, "127.0.0.1:4001");
  assert.equal(registry.stats().sessionReplacements, 0, "alice's session was not replaced");
  await assertStillServed(registry, alice, "carol");
  assert.ok(!idsInDeltas(alice).has(alice.identity.id), "nobody saw alice change");
});

Deno.test("an ID that is not the fingerprint of the presented key is refused with id_mismatch", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const before = registry.stats();
  const someoneElse = await Identity.generate();

  await using mallory = await RawPeer.connect(addressOf(registry));
  // Signed correctly with mallory's key, but claiming someone else's ID.
  await expectRefusal(
    mallory,
    "id_mismatch",
    mallory.register({ name: "mallory", id: someoneElse.id }),
  );

  assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
  assert.equal(registry.peer(someoneElse.id), undefined);
  assert.equal(registry.peer(mallory.identity.id), undefined);
  await assertStillServed(registry, alice, "carol");
});

Deno.test("a hello for protocol version 2 is refused with unsupported_version", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const before = registry.stats();

  await using future = await RawPeer.connect(addressOf(registry));
  await expectRefusal(future, "unsupported_version", future.hello({ protocol: 2 }));

  const [error] = future.messages;
  assert.ok(error.type === "error" && error.message.includes("version 1"), "names what it speaks");
  assertCounted(registry, before, { registrationsRefused: 0, framesRejected: 1 });
  await assertStillServed(registry, alice, "carol");
});

Deno.test("a register sent before hello is refused with unexpected_message", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const before = registry.stats();

  await using hasty = await RawPeer.connect(addressOf(registry));
  await hasty.send({
    type: "register",
    id: hasty.identity.id,
    name: "hasty",
    publicKey: hasty.identity.publicKeyBase64,
    listenPort: 4000,
    registry: formatHostPort(addressOf(registry)),
    epoch: "no-challenge-yet",
    reconnects: 0,
    client: "test",
    signature: new Uint8Array(64).toBase64(),
  });
  await expectRefusal(hasty, "unexpected_message");

  assertCounted(registry, before, { registrationsRefused: 0, framesRejected: 1 });
  assert.equal(registry.peer(hasty.identity.id), undefined);
  await assertStillServed(registry, alice, "carol");
});

Deno.test("a name that breaks the naming rule is refused with invalid_message", async (t) => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);

  for (const name of ["a b", "..", "x".repeat(33), "a@b", "tab\there"]) {
    await t.step(`name ${JSON.stringify(name)}`, async () => {
      const before = registry.stats();
      await using peer = await RawPeer.connect(addressOf(registry));
      await expectRefusal(peer, "invalid_message", peer.register({ name }));
      assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
    });
  }

  await t.step("look-alikes that mix scripts are refused, saying which", async () => {
    // Cyrillic "а" (U+0430) before Latin "lice"; Greek "ο" inside Latin.
    for (
      const [name, scripts] of [["\u0430lice", "Cyrillic and Latin"], [
        "b\u03bfb",
        "Latin and Greek",
      ]]
    ) {
      await using peer = await RawPeer.connect(addressOf(registry));
      await assert.rejects(peer.register({ name }), (error: Error) => {
        assert.match(error.message, new RegExp(`invalid_message: .*mixes ${scripts} letters`));
        return true;
      });
    }
    assert.equal(registry.peers().some((p) => p.name !== "alice"), false);
  });

  await t.step("while unusual but valid names are accepted", async () => {
    for (const name of ["Zoë", "李雷", "Даша", "山田taro", "a.b_c-1", "x".repeat(32)]) {
      await using peer = await RawPeer.connect(addressOf(registry));
      const welcome = await peer.register({ name });
      assert.equal(welcome.name, name);
    }
  });
  await assertStillServed(registry, alice, "carol");
});

Deno.test("an advertised address that is not HOST:PORT is refused with invalid_message", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const before = registry.stats();

  await using peer = await RawPeer.connect(addressOf(registry));
  await expectRefusal(
    peer,
    "invalid_message",
    peer.register({ name: "bob", advertise: "nowhere at all" }),
  );

  assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
  await assertStillServed(registry, alice, "carol");
});

/** An address of this machine other than loopback, if it has one. */
function nonLoopbackAddress(): string | undefined {
  return Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    ?.address;
}

Deno.test("advertising loopback is refused from another address, taken from loopback", async (t) => {
  const outside = nonLoopbackAddress();
  if (outside === undefined) {
    console.warn("skipped: this machine has no address but loopback to register from");
    return;
  }
  await using registry = await startRegistry({ listen: { hostname: "0.0.0.0", port: 0 } });
  const port = addressOf(registry).port;
  await using alice = await registeredPeer(registry, "alice"); // dials 0.0.0.0: loopback
  using _beat = keepAlive([alice], KEEPALIVE_MS);

  await t.step(`from ${outside}: refused`, async () => {
    for (const advertise of ["127.0.0.1:4000", "[::1]:4000", "[::ffff:127.0.0.2]:4000"]) {
      const before = registry.stats();
      await using peer = await RawPeer.connect({ hostname: outside, port });
      await assert.rejects(peer.register({ name: "bob", advertise }), (error) => {
        assert.ok(error instanceof RegistrationRefused, String(error));
        assert.equal(error.code, "invalid_message");
        assert.match(error.message, /Field "advertise": .* is a loopback address/);
        return true;
      });
      assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
    }
  });
  await t.step(`from ${outside}: a name or 0.0.0.0 refused, an IP taken`, async () => {
    for (const advertise of ["chat.example:4000", "0.0.0.0:4000"]) {
      await using peer = await RawPeer.connect({ hostname: outside, port });
      await expectRefusal(peer, "invalid_message", peer.register({ name: "bob", advertise }));
    }
    await using peer = await RawPeer.connect({ hostname: outside, port });
    await peer.register({ name: "bob", advertise: "203.0.113.8:4000" });
    assert.equal(registry.peer(peer.identity.id)?.address, "203.0.113.8:4000");
  });
  await t.step("from loopback: taken (every dialler is on this machine)", async () => {
    await using peer = await RawPeer.connect({ hostname: "127.0.0.1", port });
    await peer.register({ name: "carol", advertise: "127.0.0.1:4000" });
    assert.equal(registry.peer(peer.identity.id)?.address, "127.0.0.1:4000");
  });
  await assertStillServed(registry, alice, "dave");
});

Deno.test("a full registry refuses newcomers with registry_full but serves those online", async () => {
  await using registry = await startRegistry({ maxPeers: 2 });
  await using alice = await registeredPeer(registry, "alice");
  await using bob = await registeredPeer(registry, "bob");
  using _beat = keepAlive([alice, bob], KEEPALIVE_MS);
  const before = registry.stats();

  await using carol = await RawPeer.connect(addressOf(registry));
  await expectRefusal(carol, "registry_full", carol.register({ name: "carol" }));
  assertCounted(registry, before, { registrationsRefused: 1, framesRejected: 1 });
  assert.equal(registry.peers().length, 2);
  await alice.heartbeat();

  // A peer already online may re-register (a reconnect) while the registry is full.
  await using bobAgain = await RawPeer.connect(addressOf(registry), { identity: bob.identity });
  await bobAgain.register({ name: "bob", reconnects: 1 });
  await bob.waitClosed();

  // Once someone leaves there is room again.
  await bobAgain.send({ type: "bye" });
  await alice.waitForPeers((peers) => !peers.has(bob.identity.id));
  await using dave = await registeredPeer(registry, "dave");
  await alice.waitForPeers((peers) => peers.has(dave.identity.id));
  assert.ok(!idsInDeltas(alice).has(carol.identity.id));
});

Deno.test({
  name: "a register whose key is not decodable base64 is refused with invalid_message",
  async fn() {
    await using registry = await startRegistry();
    await using alice = await registeredPeer(registry, "alice");
    using _beat = keepAlive([alice], KEEPALIVE_MS);
    const before = registry.stats();

    await using peer = await RawPeer.connect(addressOf(registry));
    await peer.hello();
    await expectRefusal(
      peer,
      "invalid_message",
      peer.register({ name: "bob", publicKey: "A".repeat(41) + "===" }),
    );

    assert.equal(registry.stats().framesRejected, before.framesRejected + 1);
    await assertStillServed(registry, alice, "carol");
  },
});
