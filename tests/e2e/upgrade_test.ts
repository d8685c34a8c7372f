import assert from "node:assert/strict";
import { nameKey } from "../../protocol/mod.ts";
import { Identity, MessageStore } from "../../peer/store/mod.ts";
import { writeLegacyKvStore } from "../support/legacy_kv_store.ts";
import { TestNetwork } from "../support/network.ts";
import { sampleMessage } from "../support/sample_messages.ts";
import { tempDir } from "../support/temp_dir.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("a peer upgraded from the Deno KV store keeps its history, outbox, receipts, pins and known peers", async () => {
  await using net = await TestNetwork.start();
  await using elsewhere = await tempDir();
  const dir = (name: string) => `${net.dir}/${name}`;
  const id = async (path: string) => (await Identity.loadOrCreate(path)).identity.id;
  const [aliceId, bobId, carolId] = await Promise.all(
    ["alice", "bob", "carol"].map((n) => id(dir(n))),
  );
  // The key alice's old store pinned for "dave": not the one dave will come with.
  const oldDaveId = await id(`${elsewhere.path}/dave`);

  // Alice's store as p2pchat 0.1 left it, written by that version's code.
  const toBob = sampleMessage(bobId, "out", "hello bob", "pending");
  const fromBob = sampleMessage(bobId, "in", "hi alice", "delivered");
  const toCarol = sampleMessage(carolId, "out", "see you tomorrow", "pending");
  await writeLegacyKvStore(`${dir("alice")}/messages.kv`, [
    { op: "saveOutgoing", messages: [toBob] },
    { op: "markDelivered", messages: [toBob] },
    { op: "advanceOutgoing", peerId: bobId, ids: [toBob.id], status: "read" },
    { op: "saveIncoming", messages: [fromBob] },
    // Read while bob was away: the receipt still waits to be delivered.
    { op: "markRead", peerId: bobId, ids: [fromBob.id] },
    // To carol, who has been offline since: waits in the outbox.
    { op: "saveOutgoing", messages: [toCarol] },
    {
      op: "rememberPeers",
      peers: [
        { id: bobId, name: "bob", address: "127.0.0.1:9" },
        { id: carolId, name: "carol", address: "127.0.0.1:9" },
      ],
    },
    ...[["bob", bobId], ["carol", carolId], ["dave", oldDaveId]].map(([name, pinned]) => ({
      op: "savePin" as const,
      key: nameKey(name),
      pin: { name, id: pinned, pinnedAt: Date.now() },
    })),
  ]);
  // Bob's side of that history: he sent "hi alice" and it was delivered.
  {
    const bobStore = await MessageStore.open(`${dir("bob")}/messages.db`);
    const sent = {
      ...fromBob,
      peerId: aliceId,
      direction: "out" as const,
      status: "pending" as const,
    };
    await bobStore.saveOutgoing([sent]);
    await bobStore.markDelivered([sent]);
    await bobStore.close();
  }

  await using bob = await net.peer("bob");
  const alice = await net.peer("alice");

  // Said once in the log, with what came over; the old file kept as a backup.
  const said = alice.stderr.split("\n").filter((l) => l.includes("message store upgraded"));
  assert.equal(said.length, 1, alice.stderr);
  for (const field of ["messages=3", "outbox=1", "receipts=1", "peers=2", "pins=3", "skipped=0"]) {
    assert.ok(said[0].includes(field), `${field} in: ${said[0]}`);
  }
  assert.equal(await exists(`${dir("alice")}/messages.kv`), false);
  assert.ok(await exists(`${dir("alice")}/messages.kv.bak`));

  // The receipt owed to bob is delivered.
  await bob.waitFor("read", { test: (e) => e.id === fromBob.id && e.to.id === aliceId });

  // History, with its statuses.
  await alice.command({ cmd: "history", with: "bob" });
  const history = await alice.waitFor("history");
  assert.deepEqual(history.messages.map((m) => [m.id, m.direction, m.text, m.status]), [
    [toBob.id, "out", "hello bob", "read"],
    [fromBob.id, "in", "hi alice", "read"],
  ]);

  // The outbox, addressed by the name the known peers remember (carol is offline).
  await alice.command({ cmd: "outbox" });
  const outbox = await alice.waitFor("outbox");
  assert.deepEqual(outbox.messages.map((m) => [m.id, m.to.name, m.text]), [
    [toCarol.id, "carol", "see you tomorrow"],
  ]);
  await using carol = await net.peer("carol");
  const received = await carol.waitFor("message", { test: (e) => e.id === toCarol.id });
  assert.equal(received.text, "see you tomorrow");
  await alice.waitFor("delivered", { test: (e) => e.id === toCarol.id });

  // The pins: dave now comes with another key than the one pinned before the upgrade.
  await using dave = await net.peer("dave");
  const changed = await alice.waitFor("key_changed", { test: (e) => e.name === "dave" });
  assert.deepEqual([changed.oldId, changed.newId], [oldDaveId, dave.id]);

  // Once: a restart finds everything in place and says nothing more.
  assert.equal(await alice.quit(), 0);
  await alice[Symbol.asyncDispose]();
  await using again = await net.peer("alice");
  assert.equal(again.stderr.includes("message store upgraded"), false);
  await again.command({ cmd: "history", with: "carol" });
  const carolHistory = await again.waitFor("history");
  assert.deepEqual(carolHistory.messages.map((m) => [m.id, m.status]), [[toCarol.id, "delivered"]]);
});
