/**
 * Bulk bytes (file chunks) and chat on one link: real pools on loopback,
 * the real handshake and AES-256-GCM, nothing mocked.
 */

import assert from "node:assert/strict";
import { newMessageId } from "../../protocol/mod.ts";
import { LinkEnd } from "../support/link_end.ts";
import { sampleChat } from "../support/sample_messages.ts";

const CHUNK = 512 * 1024;
const CHUNKS = 32;

Deno.test("a chat message sent behind queued file chunks arrives before them", async () => {
  await using alice = await LinkEnd.start("alice");
  await using bob = await LinkEnd.start("bob");
  const link = await alice.pool.linkTo(bob.info);
  const transfer = newMessageId();
  const data = new Uint8Array(CHUNK).fill(7);
  // 16 MiB of chunks handed over at once, as a sender answering a request
  // would, and then one chat message.
  for (let index = 0; index < CHUNKS; index++) {
    link.send({ type: "file_chunk", id: transfer, index, data });
  }
  const chat = sampleChat("still there?");
  link.send(chat);

  await bob.waitFor(
    () => bob.received.filter((r) => r.message.type === "file_chunk").length === CHUNKS,
    "every chunk",
    20_000,
  );
  const order = bob.received.map((r) => r.message.type === "chat" ? "chat" : "chunk");
  const chatAt = order.indexOf("chat");
  assert.notEqual(chatAt, -1, "the chat arrived");
  // What can be ahead of it: the chunks already being sealed or written when
  // it was queued (the bulk allowance), never the rest of the queue.
  assert.ok(chatAt <= 3, `the chat came after ${chatAt} of ${CHUNKS} chunks`);
  // Chunks keep their order and their bytes.
  const chunks = bob.received.flatMap((r) => r.message.type === "file_chunk" ? [r.message] : []);
  assert.deepEqual(chunks.map((c) => c.index), Array.from({ length: CHUNKS }, (_, i) => i));
  assert.ok(chunks.every((c) => c.data.length === CHUNK && c.data[CHUNK - 1] === 7));
});
