import assert from "node:assert/strict";
import { RefusalLines } from "../../terminal/refusal_lines.ts";
import { newMessageId } from "../../protocol/mod.ts";

const BOB = { id: "b".repeat(52), name: "bob", address: "127.0.0.1:1" };
const CAROL = { id: "c".repeat(52), name: "carol", address: "127.0.0.1:2" };

Deno.test("refusals print one line per recipient and burst, however many messages it held back", async () => {
  const printed: string[] = [];
  using lines = new RefusalLines({
    print: (line) => printed.push(line),
    warn: (text) => text,
    gatherMs: 20,
  });
  for (let i = 0; i < 40; i++) {
    lines.render({
      event: "refused",
      id: newMessageId(),
      to: BOB,
      reason: "too_many_messages",
      retryInMs: 5200 + i,
    });
  }
  lines.render({
    event: "refused",
    id: newMessageId(),
    to: CAROL,
    reason: "too_many_bytes",
    retryInMs: 900,
  });
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(printed, [
    "! bob takes no more from you for now (too many messages a minute): 40 messages wait in the outbox, sent again in 6 s",
    "! carol takes no more from you for now (too many bytes a minute): 1 message waits in the outbox, sent again in 1 s",
  ]);
});
