import assert from "node:assert/strict";
import { Registry } from "../../registry/mod.ts";
import { RawPeer } from "../../sim/mod.ts";
import { addressOf, registeredPeer, startRegistry } from "./registry_fixture.ts";

Deno.test("shutdown says goodbye to every peer, closes every connection and resolves", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  await using bob = await registeredPeer(registry, "bob");
  await using carol = await registeredPeer(registry, "carol");
  await using halfway = await RawPeer.connect(addressOf(registry));
  await halfway.hello();
  const address = addressOf(registry);

  await registry.shutdown();

  for (const peer of [alice, bob, carol]) {
    await peer.waitClosed();
    assert.deepEqual(peer.messages.at(-1), { type: "bye", reason: "shutdown" });
    assert.equal(peer.readError, undefined);
  }
  await halfway.waitClosed();
  assert.deepEqual(halfway.messages.at(-1), { type: "bye", reason: "shutdown" });
  assert.equal(registry.stats().connectionsOpen, 0);
  await assert.rejects(
    Deno.connect(address),
    Deno.errors.ConnectionRefused,
    "the listener is closed",
  );
});

Deno.test("a second shutdown is a no-op", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");

  const first = registry.shutdown();
  const second = registry.shutdown();
  await Promise.all([first, second]);
  await registry.shutdown();

  await alice.waitClosed();
  const byes = alice.messages.filter((m) => m.type === "bye");
  assert.deepEqual(byes, [{ type: "bye", reason: "shutdown" }]);
  assert.equal(registry.stats().connectionsOpen, 0);
});

Deno.test({
  name: "shutdown leaves no timer running behind",
  async fn() {
    await using registry = await Registry.start({
      listen: { hostname: "127.0.0.1", port: 0 },
      heartbeatMs: 100,
    });
    await using alice = await registeredPeer(registry, "alice");

    await registry.shutdown();

    await alice.waitClosed();
    // The sanitizer fails the test if a timer is still pending here.
  },
});
