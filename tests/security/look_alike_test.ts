import assert from "node:assert/strict";
import { Identity } from "../../peer/mod.ts";
import { FakeRegistry } from "../support/fake_registry.ts";
import { PeerProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { waitUntil } from "../support/wait.ts";

Deno.test("a peer checks listed names itself: a registry's mixed-script look-alike is not listed", async () => {
  await using dir = await tempDir();
  const [real, fake] = [await Identity.generate(), await Identity.generate()];
  await using registry = new FakeRegistry((session) => {
    session.send({
      type: "snapshot",
      epoch: session.epoch,
      seq: 0,
      peers: [
        { id: real.id, name: "alice", address: "127.0.0.1:9" },
        // Cyrillic "а" (U+0430) in front of Latin "lice".
        { id: fake.id, name: "\u0430lice", address: "127.0.0.1:9" },
      ],
      more: false,
    });
  });
  await using bob = await PeerProcess.start("bob", {
    registry: registry.address,
    dataDir: `${dir.path}/bob`,
  });
  const listed = await bob.waitFor("peers");
  assert.deepEqual(listed.peers.map((p) => p.name), ["alice"]);
  await waitUntil(
    () => /not allowed; ignored .*mixes Cyrillic and Latin/.test(bob.stderr),
    "bob to log why it left the look-alike out",
  );
});
