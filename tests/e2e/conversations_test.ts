import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";

Deno.test("a multi-line message is indented under its sender in the terminal", async () => {
  await using network = await TestNetwork.start();
  const carol = await network.peer("carol");
  const alice = await network.terminalPeer("alice");
  await carol.waitFor("peer_joined", { test: (e) => e.peer.name === "alice" });
  const mark = alice.lines.length;
  await carol.command({
    cmd: "send",
    to: "alice",
    text: "first line\nsecond line\n  third, indented",
  });
  const first = await alice.waitForLine(/^\d\d:\d\d carol: first line$/, mark);
  const at = alice.lines.indexOf(first);
  const under = " ".repeat("12:34 carol: ".length);
  assert.deepEqual(alice.lines.slice(at + 1, at + 3), [
    `${under}second line`,
    `${under}  third, indented`,
  ]);
});

Deno.test("a broadcast shows as a broadcast in /history with one of its recipients", async () => {
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob");
  const alice = await network.terminalPeer("alice");
  await alice.waitForOnline(1); // bob is on alice's list
  await alice.writeLine("/all lunch?");
  await bob.waitFor("message", { test: (e) => e.text === "lunch?" && e.broadcast });
  await bob.command({ cmd: "broadcast", text: "who is in?" });
  await alice.waitForLine(/^\d\d:\d\d bob → all: who is in\?$/);
  await bob.command({ cmd: "send", to: "alice", text: "just you and me" });
  await alice.waitForLine(/bob: just you and me$/);

  const mark = alice.lines.length;
  await alice.writeLine("/history bob");
  await alice.waitForLine(/^\* history with bob:$/, mark);
  await alice.waitForLine(/^ {2}\d\d:\d\d you → all: lunch\? ✓/, mark);
  await alice.waitForLine(/^ {2}\d\d:\d\d bob → all: who is in\?$/, mark);
  await alice.waitForLine(/^ {2}\d\d:\d\d bob: just you and me$/, mark);
});
