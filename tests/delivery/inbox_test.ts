/**
 * The Inbox in this process: bob runs real delivery over a store on disk;
 * alice is a bare link pool that sends by hand exactly what a test needs —
 * duplicates, bursts, receipts — and records what bob answers.
 */

import assert from "node:assert/strict";
import type { ChatMessage } from "../../protocol/mod.ts";
import { MessageStore, STORE_FILE } from "../../peer/store/mod.ts";
import { DeliveryEnd, LinkEnd } from "../support/link_end.ts";
import { sampleChat } from "../support/sample_messages.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("a message that arrives again is stored once and shown once, and acknowledged every time", async () => {
  await using dir = await tempDir();
  await using alice = await LinkEnd.start("alice");
  await using bob = await DeliveryEnd.start("bob", { dataDir: dir.path });
  bob.list(alice.info);
  const hello = sampleChat("hello");

  const link = await alice.pool.linkTo(bob.info);
  link.send(hello);
  await alice.waitFor(() => alice.idsOf("ack").length === 1, "the first ack");
  link.send(hello); // the sender missed the ack
  await alice.waitFor(() => alice.idsOf("ack").length === 2, "the second ack");
  link.close();
  (await alice.pool.linkTo(bob.info)).send(hello); // and again after reconnecting
  await alice.waitFor(() => alice.idsOf("ack").length === 3, "the third ack");
  await bob.inbox.settled();

  assert.deepEqual(alice.idsOf("ack"), [hello.id, hello.id, hello.id]);
  const shown = bob.all("message");
  assert.deepEqual(shown.map((e) => [e.id, e.text, e.from.name]), [[hello.id, "hello", "alice"]]);
  const stored = await bob.store.conversation(alice.info.id, 10);
  assert.deepEqual(stored.map((m) => [m.id, m.direction, m.status]), [[
    hello.id,
    "in",
    "delivered",
  ]]);
});

Deno.test("messages are shown in the order they were sent, across bursts and links", async () => {
  await using dir = await tempDir();
  await using alice = await LinkEnd.start("alice");
  await using bob = await DeliveryEnd.start("bob", { dataDir: dir.path });
  const sent: ChatMessage[] = [];
  let link = await alice.pool.linkTo(bob.info);
  for (let burst = 0; burst < 10; burst++) {
    for (let i = 0; i < 20; i++) {
      const message = sampleChat(`${burst}.${i}`);
      sent.push(message);
      link.send(message);
    }
    await link.channel.flushed();
    if (burst === 4) {
      await alice.waitFor(
        () => alice.idsOf("ack").length === sent.length,
        "acks of the first half",
      );
      link.close();
      link = await alice.pool.linkTo(bob.info);
    }
  }
  await alice.waitFor(() => alice.idsOf("ack").length === sent.length, "every ack");
  await bob.inbox.settled();
  assert.deepEqual(bob.all("message").map((e) => e.id), sent.map((m) => m.id));
  assert.deepEqual(alice.idsOf("ack"), sent.map((m) => m.id), "acknowledged in order too");
});

Deno.test("nothing is acknowledged that could not be stored; the sender still owes it", async () => {
  await using dir = await tempDir();
  await using alice = await LinkEnd.start("alice");
  await using bob = await DeliveryEnd.start("bob", { dataDir: dir.path });
  await bob.store.close(); // the disk is gone, as far as bob can tell
  const lost = sampleChat("into the void");

  (await alice.pool.linkTo(bob.info)).send(lost);
  const error = await bob.waitFor(() => bob.all("error")[0], "bob's error");
  assert.match(
    error.message,
    /^1 incoming message\(s\) could not be stored and were not acknowledged: /,
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(alice.idsOf("ack"), [], "no ack for what is not on disk");
  assert.deepEqual(bob.all("message"), [], "and nothing shown");
});

Deno.test("an acknowledged message is on the receiver's disk already", async () => {
  await using dir = await tempDir();
  await using alice = await LinkEnd.start("alice");
  await using bob = await DeliveryEnd.start("bob", { dataDir: dir.path });
  const link = await alice.pool.linkTo(bob.info);
  const messages = Array.from({ length: 50 }, (_, i) => sampleChat(`kept ${i}`));
  for (const message of messages) link.send(message);

  // The moment the last ack is in, a second reader of bob's database finds all of them.
  await alice.waitFor(() => alice.idsOf("ack").length === messages.length, "every ack");
  const reader = await MessageStore.open(`${dir.path}/${STORE_FILE}`);
  try {
    const onDisk = await reader.conversation(alice.info.id, 100);
    assert.deepEqual(onDisk.map((m) => m.id), messages.map((m) => m.id));
  } finally {
    await reader.close();
  }
});

Deno.test("a receipt marks our message read and is answered once it is recorded", async () => {
  await using dir = await tempDir();
  await using alice = await LinkEnd.start("alice");
  await using bob = await DeliveryEnd.start("bob", { dataDir: dir.path });
  bob.list(alice.info);
  const id = await bob.messenger.send(alice.info, "did you read this?");
  await alice.waitFor(() => alice.chats().length === 1, "bob's chat");

  const link = alice.pool.openLink(bob.info.id)!;
  link.send({ type: "ack", id });
  link.send({ type: "receipt", id });
  await alice.waitFor(() => alice.idsOf("receipt_ack").length === 1, "the receipt ack");
  assert.deepEqual(bob.all("delivered").map((e) => e.id), [id]);
  assert.deepEqual(bob.all("read").map((e) => [e.id, e.to.name]), [[id, "alice"]]);
  const [stored] = await bob.store.conversation(alice.info.id, 1);
  assert.equal(stored.status, "read", "recorded before it was answered");

  link.send({ type: "receipt", id }); // a receipt resent after a lost answer
  await alice.waitFor(() => alice.idsOf("receipt_ack").length === 2, "the second receipt ack");
  assert.equal(bob.all("read").length, 1, "read is said once");
});

Deno.test("a message from a name pinned to another key is shown as unverified", async () => {
  await using dir = await tempDir();
  await using alice = await LinkEnd.start("alice");
  await using bob = await DeliveryEnd.start("bob", {
    dataDir: dir.path,
    vouchesFor: (peer) => peer.id !== alice.info.id,
  });
  bob.list(alice.info);
  (await alice.pool.linkTo(bob.info)).send(sampleChat("it is me, really"));
  const shown = await bob.waitFor(() => bob.all("message")[0], "the message");
  assert.equal(shown.unverified, true);
  assert.equal(shown.from.name, "alice");
});
