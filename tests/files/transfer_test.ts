import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";
import { randomFile, sha256Of } from "../support/files.ts";

Deno.test("a file offered, accepted and received arrives whole, with the hash the sender announced", async () => {
  await using network = await TestNetwork.start();
  const alice = await network.peer("alice");
  const bob = await network.peer("bob", { args: ["--download-dir", `${network.dir}/downloads`] });
  const source = `${network.dir}/holiday photos.tar`;
  const sha256 = await randomFile(source, 5 * 1024 * 1024 + 12345);

  // send_file needs bob in alice's list.
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to list bob");
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
  assert.equal(done.path, `${network.dir}/downloads/holiday photos.tar`);
  assert.equal(done.sha256, sha256);
  assert.equal(await sha256Of(done.path), sha256);
  const sent = await alice.waitFor("file_done", { test: (e) => e.id === offer.id });
  assert.equal(sent.sha256, sha256);
  assert.ok(bob.all("file_progress").length >= 1, "progress was reported");
  // Nothing but the file is left: no .part.
  const names = [...Deno.readDirSync(`${network.dir}/downloads`)].map((e) => e.name);
  assert.deepEqual(names, ["holiday photos.tar"]);
});

Deno.test("the terminal sends with /send, answers with /accept ID, and lists with /files", async () => {
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob");
  const alice = await network.terminalPeer("alice", {
    args: ["--download-dir", `${network.dir}/in`],
  });
  const source = `${network.dir}/plan.txt`;
  const sha256 = await randomFile(source, 1000);
  // The peer list arrives after "registered": /send needs bob in it.
  await alice.waitForOnline(1);
  await alice.writeLine(`/send bob ${source}`);
  await alice.waitForLine(/^\* offering plan\.txt \(1000 B\) to bob \([0-9a-f]{8}\); it waits/);
  const offer = await bob.waitFor("file_offer");
  await alice.waitForLine(/^ {2}✓ "📎 plan\.txt \(1000 B\)" delivered to bob$/);
  await bob.command({ cmd: "accept_file", id: offer.id });
  await alice.waitForLine(/^\* plan\.txt sent; the receiver checked its SHA-256$/);
  assert.equal(await sha256Of((await bob.waitFor("file_done")).path), sha256);

  const back = `${network.dir}/reply.bin`;
  await randomFile(back, 700 * 1024);
  await bob.command({ cmd: "send_file", to: "alice", path: back });
  const line = await alice.waitForLine(
    /^\* bob offers reply\.bin \(700 KiB\): \/accept \S+ \[DIR\]/,
  );
  const handle = /\/accept (\S+)/.exec(line)![1];
  await alice.writeLine(`/accept ${handle}`);
  await alice.waitForLine(
    new RegExp(
      `^\\* received reply\\.bin: saved as ${network.dir}/in/reply\\.bin \\(SHA-256 [0-9a-f]{16}… checked\\)$`,
    ),
  );
  const mark = alice.lines.length;
  await alice.writeLine("/files");
  await alice.waitForLine(/^\* 2 file transfer\(s\):$/, mark);
  await alice.waitForLine(/^ {2}[0-9a-f]{8} {2}reply\.bin \(700 KiB\) from bob {2}done 100%/, mark);
  await alice.waitForLine(/^ {2}[0-9a-f]{8} {2}plan\.txt \(1000 B\) to bob {2}done 100%/, mark);
  await alice.writeLine("/accept zz");
  await alice.waitForLine(
    /^! No file offered to you has ID zz \(give the ID or its first 6\+ characters\)$/,
  );
});
