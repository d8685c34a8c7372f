import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { newMessageId } from "../../protocol/mod.ts";
import { LinkEnd } from "../support/link_end.ts";
import { TestNetwork } from "../support/network.ts";
import { tempDir } from "../support/temp_dir.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";
import { randomFile, sha256Of } from "../support/files.ts";

const CHUNK = 256 * 1024;

Deno.test("a hostile sender's path-like name stays in the download dir, beside (not over) an existing file, and a corrupt chunk is fetched again", async () => {
  await using network = await TestNetwork.start();
  const downloads = `${network.dir}/downloads`;
  const bob = await network.peer("bob", { args: ["--download-dir", downloads] });
  await Deno.mkdir(downloads);
  await Deno.writeTextFile(`${downloads}/evil.txt`, "bob's own file");

  // A file of two chunks and a bit, offered under a name that tries to climb out.
  const data = crypto.getRandomValues(new Uint8Array(2 * CHUNK + 100).subarray(0, 65536));
  const content = new Uint8Array(2 * CHUNK + 100);
  for (let i = 0; i < content.length; i += data.length) {
    content.set(data.subarray(0, Math.min(data.length, content.length - i)), i);
  }
  const chunks = [0, 1, 2].map((i) => content.subarray(i * CHUNK, (i + 1) * CHUNK));
  const digests = new Uint8Array(96);
  chunks.forEach((c, i) => digests.set(createHash("sha256").update(c).digest(), i * 32));
  const sha256 = createHash("sha256").update(content).digest("hex");

  await using mallory = await LinkEnd.start("mallory");
  const requests: number[] = [];
  let corrupted = false;
  mallory.handler.message = (link, message) => {
    if (message.type !== "file_request") return;
    for (const index of message.chunks) {
      requests.push(index);
      const bytes = chunks[index].slice();
      // The first copy of chunk 1 is damaged on the way.
      if (index === 1 && !corrupted) {
        corrupted = true;
        bytes[17] ^= 0xff;
      }
      link.send({ type: "file_chunk", id: message.id, index, data: bytes });
    }
  };
  const link = await mallory.pool.linkTo({ id: bob.id, name: "bob", address: bob.listen });
  const id = newMessageId();
  link.send({
    type: "file_offer",
    id,
    sentAt: Date.now(),
    name: "../../evil.txt",
    size: content.length,
    chunkSize: CHUNK,
    sha256,
    chunks: digests.toBase64(),
  });
  const offer = await bob.waitFor("file_offer");
  assert.equal(offer.name, "evil.txt");
  await mallory.waitFor(() => mallory.idsOf("ack").includes(id), "the offer's ack");

  await bob.command({ cmd: "accept_file", id });
  const done = await bob.waitFor("file_done");
  assert.equal(done.path, `${downloads}/evil (1).txt`);
  assert.equal(await sha256Of(done.path), sha256);
  assert.equal(await Deno.readTextFile(`${downloads}/evil.txt`), "bob's own file");
  assert.deepEqual(requests.toSorted(), [0, 1, 1, 2], "chunk 1 was asked for again");
  assert.match(bob.stderr, /failed its SHA-256/);
  await mallory.waitFor(
    () => mallory.received.some(({ message }) => message.type === "file_complete"),
    "file_complete",
  );
  // Nothing landed outside the download directory.
  assert.deepEqual(
    [...Deno.readDirSync(network.dir)].map((e) => e.name).toSorted(),
    ["bob", "downloads"],
  );
});

Deno.test("a declined offer tells the sender, and a file changed after its offer fails clearly", async () => {
  await using network = await TestNetwork.start();
  const downloads = `${network.dir}/downloads`;
  const alice = await network.peer("alice");
  const bob = await network.peer("bob", { args: ["--download-dir", downloads] });
  const source = `${network.dir}/notes.txt`;
  await randomFile(source, 1000);
  // send_file needs bob in alice's list.
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to list bob");
  await alice.command({ cmd: "send_file", to: "bob", path: source });
  const offer = await bob.waitFor("file_offer");
  await bob.command({ cmd: "decline_file", id: offer.id.slice(0, 8) });
  await alice.waitFor("file_declined", { test: (e) => e.id === offer.id });
  const answer = await bob.waitFor("files");
  assert.equal(answer.transfers[0].status, "declined");
  await bob.command({ cmd: "accept_file", id: offer.id });
  const refused = await bob.waitFor("error");
  assert.match(refused.message, /notes\.txt .* is declined, not waiting for an answer/);

  // Offered, then edited before bob accepts: alice refuses to send it.
  const changing = `${network.dir}/draft.bin`;
  await randomFile(changing, 600 * 1024);
  await alice.command({ cmd: "send_file", to: "bob", path: changing });
  const second = await bob.waitFor("file_offer", { test: (e) => e.name === "draft.bin" });
  await Deno.writeFile(changing, new Uint8Array(10), { append: true });
  await bob.command({ cmd: "accept_file", id: second.id });
  const failed = await bob.waitFor("file_failed", { test: (e) => e.id === second.id });
  assert.match(
    failed.reason,
    /draft\.bin changed since it was offered \(size 614400 → 614410 bytes\)/,
  );
  await alice.waitFor("file_failed", { test: (e) => e.id === second.id });
  assert.deepEqual([...Deno.readDirSync(downloads)], [], "no .part is left");
});

Deno.test("a download dir with less free space than the file is refused in one line", {
  ignore: Deno.uid() !== 0,
}, async () => {
  // The small filesystem outlives the network: its peers stop before it is unmounted.
  await using dir = await tempDir();
  const small = `${dir.path}/small`;
  await Deno.mkdir(small);
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small],
  }).output();
  assert.ok(mount.success, new TextDecoder().decode(mount.stderr));
  try {
    await using network = await TestNetwork.start();
    const alice = await network.peer("alice");
    const bob = await network.peer("bob");
    const source = `${dir.path}/video.mp4`;
    await randomFile(source, 3 * 1024 * 1024);
    // send_file needs bob in alice's list.
    await waitUntil(() => knownPeers(alice).includes("bob"), "alice to list bob");
    await alice.command({ cmd: "send_file", to: "bob", path: source });
    const offer = await bob.waitFor("file_offer");
    await bob.command({ cmd: "accept_file", id: offer.id, dir: small });
    const refused = await bob.waitFor("error");
    assert.match(
      refused.message,
      new RegExp(
        `^Not enough space for video\\.mp4 in ${small}: it needs 3\\.0 MiB, 1\\.0 MiB is free$`,
      ),
    );
    // The offer stays open: accepted elsewhere, it arrives.
    await bob.command({ cmd: "accept_file", id: offer.id, dir: `${dir.path}/roomy` });
    const done = await bob.waitFor("file_done");
    assert.equal(done.path, `${dir.path}/roomy/video.mp4`);
  } finally {
    await new Deno.Command("umount", { args: [small] }).output();
  }
});
if (Deno.uid() !== 0) {
  console.log("skipping the free-space test: mounting a small tmpfs needs root");
}
