import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

Deno.test("a message to an offline peer waits as pending and is delivered exactly once when it returns", async () => {
  await using net = await TestNetwork.start();
  const peer = (name: string) => net.peer(name);
  await using alice = await peer("alice");
  const bobFirst = await peer("bob");
  const bobId = bobFirst.id;
  await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bobId });
  assert.equal(await bobFirst.quit(), 0);
  await bobFirst[Symbol.asyncDispose]();
  await alice.waitFor("peer_left", { test: (e) => e.peer.id === bobId });

  await alice.command({ cmd: "send", to: "bob", text: "while you were out" });
  const pending = await alice.waitFor("pending");
  assert.equal(pending.to.id, bobId);
  await alice.command({ cmd: "outbox" });
  const outbox = await alice.waitFor("outbox");
  assert.deepEqual(outbox.messages.map((m) => [m.id, m.to.name, m.text]), [[
    pending.id,
    "bob",
    "while you were out",
  ]]);

  await using bob = await peer("bob");
  const received = await bob.waitFor("message", { test: (e) => e.id === pending.id });
  assert.equal(received.text, "while you were out");
  await alice.waitFor("delivered", { test: (e) => e.id === pending.id });

  // Exactly once: one message event, one history entry, and an empty outbox.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(bob.all("message").filter((e) => e.id === pending.id).length, 1);
  const mark = bob.mark();
  await bob.command({ cmd: "history", with: "alice" });
  const history = await bob.waitFor("history", { after: mark });
  assert.deepEqual(history.messages.map((m) => [m.id, m.direction, m.text]), [[
    pending.id,
    "in",
    "while you were out",
  ]]);
  const mark2 = alice.mark();
  await alice.command({ cmd: "outbox" });
  assert.deepEqual((await alice.waitFor("outbox", { after: mark2 })).messages, []);
});

for (const how of ["quits", "is killed"] as const) {
  Deno.test(`a sender that ${how} with a pending outbox delivers it after restarting, exactly once`, async () => {
    await using net = await TestNetwork.start();
    const peer = (name: string) => net.peer(name);
    const bobFirst = await peer("bob");
    const aliceFirst = await peer("alice");
    await waitUntil(() => knownPeers(aliceFirst).includes("bob"), "alice to see bob");
    assert.equal(await bobFirst.quit(), 0);
    await bobFirst[Symbol.asyncDispose]();
    await aliceFirst.waitFor("peer_left");

    const texts = ["one", "two", "three"];
    for (const text of texts) await aliceFirst.command({ cmd: "send", to: "bob", text });
    await waitUntil(() => aliceFirst.all("pending").length === 3, "three pending messages");
    const ids = aliceFirst.all("pending").map((e) => e.id);
    if (how === "quits") assert.equal(await aliceFirst.quit(), 0);
    else aliceFirst.kill("SIGKILL");
    await aliceFirst[Symbol.asyncDispose]();

    // Both come back; alice's outbox survived in her data directory.
    await using alice = await peer("alice");
    await using bob = await peer("bob");
    for (const id of ids) await alice.waitFor("delivered", { test: (e) => e.id === id });
    await waitUntil(() => bob.all("message").length === 3, "bob to get three messages");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(bob.all("message").map((e) => e.text), texts, "in order, each once");
    assert.deepEqual(bob.all("message").map((e) => e.id), ids);
  });
}

Deno.test("read receipts flow back and history survives restarts on both sides", async () => {
  await using net = await TestNetwork.start();
  const peer = (name: string) => net.peer(name);
  let alice = await peer("alice");
  let bob = await peer("bob");
  try {
    await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });
    await alice.command({ cmd: "send", to: "bob", text: "did you read this?" });
    const message = await bob.waitFor("message");
    await alice.waitFor("delivered", { test: (e) => e.id === message.id });
    await bob.command({ cmd: "send", to: "alice", text: "reply" });
    const reply = await alice.waitFor("message");

    await bob.command({ cmd: "read", id: message.id });
    const read = await alice.waitFor("read", { test: (e) => e.id === message.id });
    assert.equal(read.to.id, bob.id);
    const mark = bob.mark();
    await bob.command({ cmd: "read", id: "01890000-0000-7000-8000-000000000000" });
    assert.match(
      (await bob.waitFor("error", { after: mark })).message,
      /No received message has ID/,
    );

    // Restart both; history is kept, with statuses, in order, both directions.
    for (const p of [alice, bob]) {
      assert.equal(await p.quit(), 0);
      await p[Symbol.asyncDispose]();
    }
    alice = await peer("alice");
    bob = await peer("bob");
    await alice.command({ cmd: "history", with: "bob" });
    const aliceView = await alice.waitFor("history");
    assert.deepEqual(
      aliceView.messages.map((m) => [m.id, m.direction, m.status]),
      [[message.id, "out", "read"], [reply.id, "in", "delivered"]],
    );
    assert.equal(aliceView.with.name, "bob");
    await bob.command({ cmd: "history", with: alice.id.slice(0, 10) });
    const bobView = await bob.waitFor("history");
    assert.deepEqual(
      bobView.messages.map((m) => [m.id, m.direction, m.status]),
      [[message.id, "in", "read"], [reply.id, "out", "delivered"]],
    );
  } finally {
    await alice[Symbol.asyncDispose]();
    await bob[Symbol.asyncDispose]();
  }
});

Deno.test("a pending message can be cancelled and is then never delivered", async () => {
  await using net = await TestNetwork.start();
  const peer = (name: string) => net.peer(name);
  await using alice = await peer("alice");
  const bobFirst = await peer("bob");
  await alice.waitFor("peer_joined");
  assert.equal(await bobFirst.quit(), 0);
  await bobFirst[Symbol.asyncDispose]();
  await alice.waitFor("peer_left");

  await alice.command({ cmd: "send", to: "bob", text: "never mind" });
  await alice.command({ cmd: "send", to: "bob", text: "this one stays" });
  await waitUntil(() => alice.all("pending").length === 2, "two pending");
  const [cancelled, kept] = alice.all("pending");
  await alice.command({ cmd: "cancel", id: cancelled.id });
  const failed = await alice.waitFor("failed");
  assert.equal(failed.id, cancelled.id);
  assert.match(failed.reason, /cancelled/);

  await using bob = await peer("bob");
  await alice.waitFor("delivered", { test: (e) => e.id === kept.id });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(bob.all("message").map((e) => e.text), ["this one stays"]);
});
