import assert from "node:assert/strict";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

Deno.test("a pinned name that comes back with another key is reported and gets nothing until /trust", async () => {
  await using dir = await tempDir();
  await using registry = await RegistryProcess.start();
  const start = (name: string, dataDir: string) =>
    PeerProcess.start(name, { registry: registry.address, dataDir: `${dir.path}/${dataDir}` });
  await using alice = await start("alice", "a");
  const original = await start("bob", "b1");
  const oldId = original.id;
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see the first bob");
  assert.equal(await original.quit(), 0);
  await original[Symbol.asyncDispose]();
  await alice.waitFor("peer_left");

  // Someone else now registers as "bob", with a new key.
  await using newcomer = await start("bob", "b2");
  assert.notEqual(newcomer.id, oldId);
  const changed = await alice.waitFor("key_changed");
  assert.deepEqual(changed, { event: "key_changed", name: "bob", oldId, newId: newcomer.id });

  await alice.command({ cmd: "send", to: "bob", text: "is that really you?" });
  const pending = await alice.waitFor("pending");
  assert.equal(pending.to.id, newcomer.id);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(alice.all("delivered").length, 0, "held until trusted");
  assert.equal(newcomer.all("message").length, 0);

  await alice.command({ cmd: "trust", name: "bob" });
  const trusted = await alice.waitFor("trusted");
  assert.equal(trusted.peer.id, newcomer.id);
  assert.equal(trusted.previousId, oldId);
  await alice.waitFor("delivered", { test: (e) => e.id === pending.id });
  await newcomer.waitFor("message", { test: (e) => e.text === "is that really you?" });
});
