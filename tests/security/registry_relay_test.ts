/**
 * A registration names the registry it is for. A malicious registry that
 * passes a real registry's challenge to its caller, and the caller's answer
 * back, must not get the caller registered on the real registry.
 */

import assert from "node:assert/strict";
import { RelayingRegistry } from "../support/fake_registry.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { waitUntil } from "../support/wait.ts";

Deno.test("a registry relaying another registry's challenge cannot register the victim there", async () => {
  await using dir = await tempDir();
  await using registry = await RegistryProcess.start();
  await using relay = new RelayingRegistry(registry.address);
  const api = async (path: string) =>
    await (await fetch(new URL(path, registry.dashboardUrl))).json();

  await using victim = await PeerProcess.start("victim", {
    registry: relay.address,
    dataDir: `${dir.path}/victim`,
    waitRegistered: false,
  });
  const refusal = await victim.waitFor("error", {
    test: (event) => /^Registry refused this peer/.test(event.message),
  });
  assert.match(
    refusal.message,
    new RegExp(
      `Registration is for the registry at ${relay.address}; this one was reached at ` +
        registry.address.replaceAll(".", "\\."),
    ),
  );
  // The relay did pass the real challenge on, and the victim's signed answer back.
  assert.deepEqual(relay.traffic.toPeer.slice(0, 2), ["challenge", "error"]);
  assert.deepEqual(relay.traffic.toRegistry.slice(0, 2), ["hello", "register"]);
  assert.equal(victim.all("registered").length, 0);
  assert.deepEqual((await api("/api/peers")).peers, []);
  const stats = await api("/api/stats");
  assert.ok(stats.registrationsRefused >= 1, `refusal not counted: ${JSON.stringify(stats)}`);
  assert.match(registry.stderr, /wrong_registry/);

  // The registry keeps serving peers that dialled it themselves.
  await using _alice = await PeerProcess.start("alice", {
    registry: registry.address,
    dataDir: `${dir.path}/alice`,
  });
  await waitUntil(
    async () => (await api("/api/peers")).peers.some((p: { name: string }) => p.name === "alice"),
    "alice on the registry",
  );
  assert.equal(victim.all("registered").length, 0, "still not registered through the relay");
});
