import assert from "node:assert/strict";
import { RedisServer } from "../support/redis_server.ts";
import { RawPeer } from "../../sim/mod.ts";
import { addressOf, startInstance } from "./cluster_fixture.ts";

Deno.test("a registry with --cluster serves peers as a single registry does", async () => {
  await using redis = await RedisServer.start();
  await using registry = await startInstance(redis, "a");
  await using alice = await RawPeer.connect(addressOf(registry), {
    trackPeers: true,
    label: "alice",
  });
  const welcome = await alice.register({ name: "alice" });
  assert.deepEqual(welcome.instances, [registry.info().listen]);
  await alice.waitForPeers((peers) => peers.size === 1);
  await using bob = await RawPeer.connect(addressOf(registry), { trackPeers: true, label: "bob" });
  await bob.register({ name: "bob" });
  await alice.waitForPeers((peers) => peers.has(bob.identity.id));
  await bob.waitForPeers((peers) => peers.size === 2);
  assert.deepEqual(registry.peers().map((p) => [p.name, p.instance]), [["alice", "a"], [
    "bob",
    "a",
  ]]);
  await bob.send({ type: "bye" });
  await alice.waitForPeers((peers) => !peers.has(bob.identity.id));
  assert.equal(registry.stats().peersOnline, 1);
});
