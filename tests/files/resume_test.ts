import assert from "node:assert/strict";
import { FlakyProxy } from "../../demo/mod.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";
import { freePort, randomFile, sha256Of } from "../support/files.ts";

const MiB = 1024 * 1024;
/** Big enough that a kill lands mid-transfer on the slow line below. */
const SIZE = 48 * MiB;

/** Bytes the verified-chunk record at `path` marks (512 KiB chunks; 0 while there is none). */
async function verifiedBytes(path: string): Promise<number> {
  try {
    return (await Deno.readFile(path)).filter((flag) => flag === 1).length * 512 * 1024;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

/**
 * alice and bob, with bob reached through a slow line (alice dials him for
 * the offer, so the transfer crosses it), and a file alice offered and bob
 * accepted.
 */
async function slowTransfer(dir: string) {
  const registry = await RegistryProcess.start();
  const bobPort = freePort();
  const line = new FlakyProxy({ hostname: "127.0.0.1", port: bobPort }, {
    bytesPerSecond: 16 * MiB,
  });
  const aliceArgs = { registry: registry.address, dataDir: `${dir}/a` };
  const bobArgs = {
    registry: registry.address,
    dataDir: `${dir}/b`,
    args: [
      "--listen",
      `127.0.0.1:${bobPort}`,
      "--advertise",
      `127.0.0.1:${line.address.port}`,
      "--download-dir",
      `${dir}/downloads`,
    ],
  };
  const alice = await PeerProcess.start("alice", aliceArgs);
  const bob = await PeerProcess.start("bob", bobArgs);
  const source = `${dir}/big.bin`;
  const sha256 = await randomFile(source, SIZE);
  // send_file needs bob in alice's list.
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to list bob");
  await alice.command({ cmd: "send_file", to: "bob", path: source });
  const offer = await bob.waitFor("file_offer");
  await bob.command({ cmd: "accept_file", id: offer.id });
  return { registry, line, alice, bob, aliceArgs, bobArgs, sha256, id: offer.id };
}

Deno.test("a receiver killed mid-transfer and restarted goes on from its last verified chunk", async () => {
  await using dir = await tempDir();
  const t = await slowTransfer(dir.path);
  await using _registry = t.registry;
  await using _line = t.line;
  await using alice = t.alice;
  let recorded = 0;
  {
    await using bob = t.bob;
    // Killed once its record of verified chunks (written after each flush) holds 16 MiB.
    const record = `${dir.path}/b/files/${t.id}.chunks`;
    const deadline = Date.now() + 90_000;
    while ((recorded = await verifiedBytes(record)) < 16 * MiB) {
      if (Date.now() > deadline) throw new Error(`only ${recorded} bytes recorded as verified`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    bob.kill("SIGKILL");
    await bob.exited;
  }
  const parts = [...Deno.readDirSync(`${dir.path}/downloads`)].map((e) => e.name);
  assert.deepEqual(parts, ["big.bin.part"], "only the .part file while unfinished");

  await using bob = await PeerProcess.start("bob", t.bobArgs);
  const done = await bob.waitFor("file_done", { test: (e) => e.id === t.id, timeoutMs: 90_000 });
  assert.equal(done.sha256, t.sha256);
  assert.equal(await sha256Of(done.path), t.sha256);
  // Not from zero: this run fetched only what was not verified before the kill.
  assert.ok(done.transferred > 0, "something was left to fetch");
  assert.ok(
    done.transferred <= SIZE - recorded,
    `the restarted receiver fetched ${done.transferred} of ${SIZE} bytes; ${recorded} were recorded`,
  );
  const first = bob.all("file_progress")[0];
  assert.ok(first && first.bytes >= recorded, `progress resumed at ${first?.bytes} bytes`);
  await alice.waitFor("file_done", { test: (e) => e.id === t.id });
});

Deno.test("a sender killed mid-transfer and restarted goes on from the receiver's last verified chunk", async () => {
  await using dir = await tempDir();
  const t = await slowTransfer(dir.path);
  await using _registry = t.registry;
  await using _line = t.line;
  await using bob = t.bob;
  {
    await using alice = t.alice;
    await bob.waitFor("file_progress", { test: (e) => e.bytes >= 20 * MiB, timeoutMs: 90_000 });
    alice.kill("SIGKILL");
    await alice.exited;
  }
  await using alice = await PeerProcess.start("alice", t.aliceArgs);
  const done = await bob.waitFor("file_done", { test: (e) => e.id === t.id, timeoutMs: 90_000 });
  assert.equal(await sha256Of(done.path), t.sha256);
  // The receiver never asked again for a chunk it had: each byte crossed once.
  assert.equal(done.transferred, SIZE);
  const sent = await alice.waitFor("file_done", { test: (e) => e.id === t.id });
  assert.ok(
    sent.transferred > 0 && sent.transferred <= SIZE - 20 * MiB,
    `the restarted sender sent ${sent.transferred} of ${SIZE} bytes`,
  );
});
