import assert from "node:assert/strict";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { randomFile, sha256Of } from "../support/files.ts";

Deno.test("a file offered, accepted and received arrives whole, with the hash the sender announced", async () => {
  await using dir = await tempDir();
  await using registry = await RegistryProcess.start();
  await using alice = await PeerProcess.start("alice", {
    registry: registry.address,
    dataDir: `${dir.path}/a`,
  });
  await using bob = await PeerProcess.start("bob", {
    registry: registry.address,
    dataDir: `${dir.path}/b`,
    args: ["--download-dir", `${dir.path}/downloads`],
  });
  const source = `${dir.path}/holiday photos.tar`;
  const sha256 = await randomFile(source, 5 * 1024 * 1024 + 12345);

  await alice.command({ cmd: "send_file", to: "bob", path: source });
  const offered = await alice.waitFor("file_offered");
  assert.equal(offered.sha256, sha256);
  const offer = await bob.waitFor("file_offer");
  assert.deepEqual(
    { id: offer.id, from: offer.from.name, name: offer.name, size: offer.size, sha: offer.sha256 },
    {
      id: offered.id,
      from: "alice",
      name: "holiday photos.tar",
      size: 5 * 1024 * 1024 + 12345,
      sha: sha256,
    },
  );
  await alice.waitFor("delivered", { test: (e) => e.id === offered.id });

  // A prefix of the ID is enough.
  await bob.command({ cmd: "accept_file", id: offer.id.slice(0, 10) });
  const done = await bob.waitFor("file_done", { test: (e) => e.id === offer.id });
  assert.equal(done.path, `${dir.path}/downloads/holiday photos.tar`);
  assert.equal(done.sha256, sha256);
  assert.equal(await sha256Of(done.path), sha256);
  const sent = await alice.waitFor("file_done", { test: (e) => e.id === offer.id });
  assert.equal(sent.sha256, sha256);
  assert.ok(bob.all("file_progress").length >= 1, "progress was reported");
  // Nothing but the file is left: no .part.
  const names = [...Deno.readDirSync(`${dir.path}/downloads`)].map((e) => e.name);
  assert.deepEqual(names, ["holiday photos.tar"]);
});
