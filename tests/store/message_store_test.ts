/**
 * The message store through its public methods only, on a real database in a
 * temporary directory: what is kept, what survives a restart (close and
 * reopen), and what a duplicate or an out-of-order status does.
 */

import assert from "node:assert/strict";
import { newMessageId } from "../../protocol/mod.ts";
import {
  MessageStore,
  STORE_FILE,
  storedBytes,
  type StoredMessage,
  StoreError,
} from "../../peer/store/mod.ts";
import { sampleMessage } from "../support/sample_messages.ts";
import { tempDir } from "../support/temp_dir.ts";

const BOB = "b".repeat(52);
const CAROL = "c".repeat(52);

/** A store in `dir`, closed on dispose. */
async function open(dir: string): Promise<MessageStore & AsyncDisposable> {
  const store = await MessageStore.open(`${dir}/${STORE_FILE}`);
  return Object.assign(store, { [Symbol.asyncDispose]: () => store.close() });
}

Deno.test("the outbox holds what is not delivered yet, per peer and in order, across a restart", async () => {
  await using dir = await tempDir();
  const toBob = [sampleMessage(BOB, "out", "one"), sampleMessage(BOB, "out", "two")];
  const toCarol = sampleMessage(CAROL, "out", "hi carol");
  {
    await using store = await open(dir.path);
    await store.saveOutgoing([toBob[0], toCarol]);
    await store.saveOutgoing([toBob[1]]);
  }
  await using store = await open(dir.path);
  assert.deepEqual((await store.outbox(BOB)).map((m) => m.text), ["one", "two"]);
  assert.deepEqual(
    (await store.outbox()).map((m) => [m.peerId, m.text]).sort(),
    [[BOB, "one"], [BOB, "two"], [CAROL, "hi carol"]],
  );
  assert.deepEqual(await store.outbox(BOB), toBob, "kept exactly as given");

  await store.markDelivered([toBob[0]]);
  assert.deepEqual((await store.outbox(BOB)).map((m) => m.text), ["two"]);
  const [first] = await store.conversation(BOB, 1, toBob[1].id);
  assert.equal(first.status, "delivered");
});

Deno.test("sends made at the same moment are all kept, each once", async () => {
  await using dir = await tempDir();
  const messages = Array.from({ length: 100 }, (_, i) => sampleMessage(BOB, "out", `burst ${i}`));
  {
    await using store = await open(dir.path);
    await Promise.all(messages.map((m) => store.saveOutgoing([m])));
  }
  await using store = await open(dir.path);
  assert.deepEqual((await store.outbox(BOB)).map((m) => m.id), messages.map((m) => m.id));
});

Deno.test("a message's status only moves forward: delivered does not undo read, nor cancelled", async () => {
  await using dir = await tempDir();
  await using store = await open(dir.path);
  const read = sampleMessage(BOB, "out", "read early");
  const cancelled = sampleMessage(BOB, "out", "withdrawn");
  await store.saveOutgoing([read, cancelled]);

  // A read receipt can overtake the acknowledgement.
  assert.deepEqual((await store.advanceOutgoing(BOB, [read.id], "read")).map((m) => m.status), [
    "read",
  ]);
  const withdrawn = await store.cancel(BOB, cancelled.id);
  assert.equal(withdrawn?.status, "failed");
  assert.equal(await store.cancel(BOB, cancelled.id), undefined, "cancelled once");

  await store.markDelivered([read, cancelled]);
  assert.deepEqual(await store.advanceOutgoing(BOB, [read.id], "sent"), [], "no step back");
  const statuses = (await store.conversation(BOB, 10)).map((m) => [m.text, m.status]);
  assert.deepEqual(statuses, [["read early", "read"], ["withdrawn", "failed"]]);
  assert.deepEqual(await store.outbox(BOB), []);
  assert.equal(await store.cancel(BOB, read.id), undefined, "what was read cannot be cancelled");
});

Deno.test("an incoming message is kept once per sender, however often it arrives", async () => {
  await using dir = await tempDir();
  const hello = sampleMessage(BOB, "in", "hello");
  {
    await using store = await open(dir.path);
    assert.deepEqual(await store.saveIncoming([hello]), [true]);
    assert.deepEqual(await store.saveIncoming([hello, sampleMessage(BOB, "in", "next")]), [
      false,
      true,
    ]);
  }
  await using store = await open(dir.path);
  assert.deepEqual(await store.saveIncoming([hello]), [false], "also after a restart");
  // The same ID from another sender is another message.
  assert.deepEqual(await store.saveIncoming([{ ...hello, peerId: CAROL }]), [true]);
  assert.deepEqual((await store.findIncoming(hello.id)).map((m) => m.peerId), [BOB, CAROL]);
  assert.deepEqual((await store.conversation(BOB, 10)).map((m) => m.text), ["hello", "next"]);
});

Deno.test("reading a message owes its sender a receipt until the sender records it, across a restart", async () => {
  await using dir = await tempDir();
  const first = sampleMessage(BOB, "in", "first");
  const second = sampleMessage(BOB, "in", "second");
  {
    await using store = await open(dir.path);
    await store.saveIncoming([first, second]);
    const changed = await store.markRead(BOB, [first.id, second.id]);
    assert.deepEqual(changed.map((m) => [m.text, m.status]), [["first", "read"], [
      "second",
      "read",
    ]]);
    assert.deepEqual(await store.markRead(BOB, [first.id]), [], "read once");
    assert.deepEqual(await store.markRead(BOB, [newMessageId()]), [], "unknown IDs change nothing");
  }
  await using store = await open(dir.path);
  assert.deepEqual(await store.peersWithPendingReceipts(), [BOB]);
  assert.deepEqual(await store.pendingReceipts(BOB), [first.id, second.id]);
  await store.receiptsAcknowledged(BOB, [first.id]);
  assert.deepEqual(await store.pendingReceipts(BOB), [second.id]);
  await store.receiptsAcknowledged(BOB, [second.id]);
  assert.deepEqual(await store.peersWithPendingReceipts(), []);
});

Deno.test("history gives the newest messages oldest first, and pages back from a message", async () => {
  await using dir = await tempDir();
  await using store = await open(dir.path);
  const all: StoredMessage[] = [];
  for (let i = 0; i < 25; i++) {
    const m = i % 2 === 0 ? sampleMessage(BOB, "out", `m${i}`) : sampleMessage(BOB, "in", `m${i}`);
    all.push(m);
    if (m.direction === "out") await store.saveOutgoing([m]);
    else await store.saveIncoming([m]);
  }
  await store.saveIncoming([sampleMessage(CAROL, "in", "another conversation")]);
  const texts = (messages: StoredMessage[]) => messages.map((m) => m.text);

  const latest = await store.conversation(BOB, 10);
  assert.deepEqual(texts(latest), texts(all.slice(15)));
  const older = await store.conversation(BOB, 10, latest[0].id);
  assert.deepEqual(texts(older), texts(all.slice(5, 15)));
  const oldest = await store.conversation(BOB, 10, older[0].id);
  assert.deepEqual(texts(oldest), texts(all.slice(0, 5)));
  assert.deepEqual(await store.conversation(BOB, 10, all[0].id), []);
});

Deno.test("a text with a NUL comes back whole from the outbox, the history and a room, across a restart", async () => {
  // A stored file offer starts with a NUL; node:sqlite reads TEXT only up to the first one.
  const offer = '\u0000file_offer {"name":"slides.pdf"}';
  const chat = "before\u0000after";
  await using dir = await tempDir();
  const toBob = sampleMessage(BOB, "out", offer);
  const fromBob = sampleMessage(BOB, "in", chat);
  const inRoom = { ...sampleMessage(CAROL, "out", chat), roomId: "r".repeat(52) };
  {
    await using store = await open(dir.path);
    await store.saveOutgoing([toBob]);
    await store.saveIncoming([fromBob]);
    await store.saveRoomOutgoing([inRoom]);
  }
  await using store = await open(dir.path);
  assert.deepEqual((await store.outbox(BOB)).map((m) => m.text), [offer]);
  assert.deepEqual((await store.conversation(BOB, 10)).map((m) => m.text), [offer, chat]);
  assert.deepEqual((await store.roomHistory(inRoom.roomId, 10)).map((m) => m.text), [chat]);
});

Deno.test("a room's history gives its newest messages oldest first, and pages back from one", async () => {
  await using dir = await tempDir();
  await using store = await open(dir.path);
  const room = "r".repeat(26);
  const texts: string[] = [];
  for (let i = 0; i < 25; i++) {
    texts.push(`m${i}`);
    if (i % 2 === 0) {
      // What this peer posts is stored once per member: one history entry for both copies.
      const id = newMessageId();
      await store.saveRoomOutgoing([BOB, CAROL].map((peerId) => ({
        ...sampleMessage(peerId, "out", `m${i}`),
        id,
        roomId: room,
      })));
    } else {
      await store.saveIncoming([{ ...sampleMessage(BOB, "in", `m${i}`), roomId: room }]);
    }
  }
  const page = async (before?: string) => (await store.roomHistory(room, 10, before));
  const latest = await page();
  assert.deepEqual(latest.map((m) => m.text), texts.slice(15));
  const older = await page(latest[0].id);
  assert.deepEqual(older.map((m) => m.text), texts.slice(5, 15));
  const oldest = await page(older[0].id);
  assert.deepEqual(oldest.map((m) => m.text), texts.slice(0, 5));
  assert.deepEqual(await page(oldest[0].id), []);
});

Deno.test("peers seen and pinned keys are remembered across a restart", async () => {
  await using dir = await tempDir();
  {
    await using store = await open(dir.path);
    await store.rememberPeers([{ id: BOB, name: "bob", address: "127.0.0.1:4000" }]);
    await store.rememberPeers([{ id: BOB, name: "bob", address: "127.0.0.1:4001" }]);
    await store.savePin("bob", { name: "bob", id: BOB, pinnedAt: 1 });
    await store.savePin("bob", { name: "Bob", id: CAROL, pinnedAt: 2 }); // trusted a new key
  }
  await using store = await open(dir.path);
  const known = await store.knownPeers();
  assert.deepEqual(known.map((p) => [p.id, p.name, p.address]), [[BOB, "bob", "127.0.0.1:4001"]]);
  assert.ok(known[0].lastSeenAt > 0);
  assert.deepEqual([...await store.pins()], [["bob", { name: "Bob", id: CAROL, pinnedAt: 2 }]]);
});

Deno.test("a closed store refuses with an error that says what could not be done", async () => {
  await using dir = await tempDir();
  const store = await MessageStore.open(`${dir.path}/${STORE_FILE}`);
  await store.close();
  await assert.rejects(store.saveOutgoing([sampleMessage(BOB, "out", "too late")]), (error) => {
    assert.ok(error instanceof StoreError);
    assert.match(error.message, /^Cannot save outgoing messages: the message store is closed/);
    return true;
  });
});

Deno.test("a store that cannot be opened says which file and why", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/missing-directory/${STORE_FILE}`;
  await assert.rejects(MessageStore.open(path), (error) => {
    assert.ok(error instanceof StoreError);
    assert.ok(error.message.startsWith(`Cannot open the message store ${path}: `), error.message);
    return true;
  });
});

Deno.test("the bytes stored from a sender count its UTF-8 text and a row each; held IDs are per sender", async () => {
  await using dir = await tempDir();
  const texts = ["hi", "héllo wörld", "日本語のテキスト", "emoji 🎉🎉", "x".repeat(16_384)];
  const fromBob = texts.map((text) => sampleMessage(BOB, "in", text));
  {
    await using store = await open(dir.path);
    assert.equal(await store.storedBytesFrom(BOB), 0, "nothing yet");
    await store.saveIncoming(fromBob);
    await store.saveIncoming([sampleMessage(CAROL, "in", "not bob's")]);
    await store.saveOutgoing([sampleMessage(BOB, "out", "ours, not bob's")]);
  }
  await using store = await open(dir.path);
  const expected = texts.reduce((sum, text) => sum + storedBytes(text), 0);
  const utf8 = texts.reduce((sum, text) => sum + new TextEncoder().encode(text).length, 0);
  assert.equal(expected, utf8 + 128 * texts.length);
  assert.equal(await store.storedBytesFrom(BOB), expected);
  const unknown = newMessageId();
  assert.deepEqual(await store.heldFrom(BOB, [fromBob[1].id, unknown]), new Set([fromBob[1].id]));
  assert.deepEqual(await store.heldFrom(CAROL, [fromBob[1].id]), new Set(), "per sender");
});
