import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a --json read command is answered: marked_read for an unread message, error otherwise", async () => {
  await using network = await TestNetwork.start();
  const alice = await network.peer("alice");
  const bob = await network.peer("bob");
  await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });
  // "registered" comes before the registry's list: until it arrives bob knows
  // no alice, and a send to her is refused ("No peer named …").
  await waitUntil(() => knownPeers(bob).includes("alice"), "bob to see alice");

  await bob.command({ cmd: "send", to: "alice", text: "read me" });
  const message = await alice.waitFor("message", { test: (e) => e.text === "read me" });
  let mark = alice.mark();
  await alice.command({ cmd: "read", id: message.id });
  const answer = await alice.waitFor("marked_read", { after: mark });
  assert.equal(answer.id, message.id);
  assert.equal(answer.from.id, bob.id);
  await bob.waitFor("read", { test: (e) => e.id === message.id });

  mark = alice.mark();
  await alice.command({ cmd: "read", id: message.id });
  const twice = await alice.waitFor("error", { after: mark });
  assert.equal(twice.message, `Message ${message.id} was already marked read`);

  mark = alice.mark();
  const unknown = "0190a4b2-7c3d-7abc-8def-0123456789ab";
  await alice.command({ cmd: "read", id: unknown });
  const none = await alice.waitFor("error", { after: mark });
  assert.equal(none.message, `No received message has ID ${unknown}`);

  // One's own outgoing message is not something to mark read.
  await alice.command({ cmd: "send", to: "bob", text: "mine" });
  const sent = await alice.waitFor("delivered");
  mark = alice.mark();
  await alice.command({ cmd: "read", id: sent.id });
  const own = await alice.waitFor("error", { after: mark });
  assert.equal(own.message, `No received message has ID ${sent.id}`);
  assert.equal(alice.all("marked_read").length, 1);
});

Deno.test("terminal receipts name their message; a broadcast gets one summary line", async () => {
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob");
  const carol = await network.peer("carol");
  const dave = await network.peer("dave");
  const alice = await network.terminalPeer("alice");
  await alice.waitForOnline(3);

  let mark = alice.lines.length;
  await alice.writeLine("/msg bob see you tomorrow at the usual place by the river");
  const message = await bob.waitFor("message");
  await alice.waitForLine(/^ {2}✓ "see you tomorrow at the usual…" delivered to bob$/, mark);
  await bob.command({ cmd: "read", id: message.id });
  await alice.waitForLine(/^ {2}✓✓ "see you tomorrow at the usual…" read by bob$/, mark);

  mark = alice.lines.length;
  await alice.writeLine("/all lunch?");
  const copies = await Promise.all(
    [bob, carol, dave].map((p) => p.waitFor("message", { test: (e) => e.text === "lunch?" })),
  );
  await alice.waitForLine(/^ {2}✓ "lunch\?" delivered to 3 of 3$/, mark);
  await Promise.all([bob, carol, dave].map((p, i) => p.command({ cmd: "read", id: copies[i].id })));
  await alice.waitForLine(/^ {2}✓✓ "lunch\?" read by 3 of 3$/, mark);
  await sleep(500);
  const about = alice.lines.slice(mark).filter((l) => l.includes('"lunch?"'));
  assert.equal(about.filter((l) => l.includes("delivered")).length, 1, about.join("\n"));
  assert.ok(about.length <= 4, `a few summary lines, not one per peer:\n${about.join("\n")}`);
  assert.ok(
    !about.some((l) => /by (bob|carol|dave)|to (bob|carol|dave)/.test(l)),
    about.join("\n"),
  );
});

Deno.test("/cancel takes a unique ID prefix of 6+ characters and says it worked", async () => {
  await using network = await TestNetwork.start();
  const dave = await network.peer("dave");
  const alice = await network.terminalPeer("alice");
  await alice.waitForLine(/^ {2}dave /);
  await dave.quit();
  await alice.waitForLine(/^\* dave left \(bye\)$/);

  let mark = alice.lines.length;
  await alice.writeLine("/msg dave are you there?");
  await alice.waitForLine(
    /^ {2}⏳ "are you there\?" waits in the outbox: dave is not reachable now$/,
  );
  await alice.writeLine("/msg dave hello?");
  await alice.waitForLine(/^ {2}⏳ "hello\?" waits in the outbox/, mark);

  mark = alice.lines.length;
  await alice.writeLine("/outbox");
  await alice.waitForLine(/^\* 2 undelivered/, mark);
  const rows = await waitUntil(() => {
    const found = alice.lines.slice(mark).filter((l) => / {2}to dave: /.test(l));
    return found.length === 2 && found;
  }, "the two outbox rows");
  const [first, second] = rows.map((row) => row.trim().split(/\s+/)[0]);
  assert.ok(first.length >= 8 && second.length >= 8, `${first} ${second}`);

  // Both were sent within moments, so their IDs share their first six characters.
  mark = alice.lines.length;
  await alice.writeLine(`/cancel ${first.slice(0, 6)}`);
  await alice.waitForLine(/is the start of 2 undelivered messages' IDs; type more of it/, mark);
  await alice.writeLine("/cancel 0190");
  await alice.waitForLine(
    /^! No undelivered message has ID 0190 \(give the ID or its first 6\+/,
    mark,
  );

  mark = alice.lines.length;
  await alice.writeLine(`/cancel ${first}`);
  const done = await alice.waitForLine(/cancelled/, mark);
  assert.equal(done, '* cancelled "are you there?" to dave; it will not be delivered');
  // Only one left: now six characters are enough.
  await alice.writeLine(`/cancel ${second.slice(0, 6)}`);
  await alice.waitForLine(/^\* cancelled "hello\?" to dave; it will not be delivered$/, mark);
  assert.ok(!alice.lines.slice(mark).some((l) => l.startsWith("!")), "no line reads as an error");
});

Deno.test("with a web window beside the terminal, printing a message does not mark it read", async () => {
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob");
  const alice = await network.terminalPeer("alice", { args: ["--web"] });
  const url = new URL((await alice.waitForLine(/^\* chat window: /)).split(": ")[1]);
  await bob.waitFor("peer_joined", { test: (e) => e.peer.name === "alice" });
  await bob.command({ cmd: "send", to: "alice", text: "seen where?" });
  await alice.waitForLine(/bob: seen where\?$/);
  const delivered = await bob.waitFor("delivered");
  await sleep(1000);
  assert.deepEqual(bob.all("read"), [], "the terminal printed it; nobody looked at the window");

  // The window still counts it unread, and marks it read once it shows it.
  const page = await (await fetch(url)).text();
  const token = /name="session" value="([^"]+)"/.exec(page)?.[1];
  assert.ok(token, "the window's session token");
  const headers = {
    authorization: `Bearer ${token}`,
    origin: url.origin,
    "content-type": "application/json",
  };
  const state = await (await fetch(new URL("/api/state", url), { headers })).json();
  const contact = state.contacts.find((c: { peer: { id: string } }) => c.peer.id === bob.id);
  assert.equal(contact.unread, 1);
  const read = await fetch(new URL("/api/read", url), {
    method: "POST",
    headers,
    body: JSON.stringify({ ids: [delivered.id] }),
  });
  assert.deepEqual(await read.json(), { read: 1 });
  await bob.waitFor("read", { test: (e) => e.id === delivered.id });
});
