import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { knownPeers, sameNames, waitUntil } from "../support/wait.ts";

Deno.test("two peers register, see each other and chat both ways", async () => {
  await using net = await TestNetwork.start();
  await using alice = await net.peer("alice");
  await using bob = await net.peer("bob");

  const joined = await alice.waitFor("peer_joined", { test: (e) => e.peer.name === "bob" });
  assert.equal(joined.peer.id, bob.id);
  assert.match(joined.peer.address, /^127\.0\.0\.1:\d+$/);
  const bobsList = await bob.waitFor("peers", {
    test: (e) => e.peers.some((p) => p.id === alice.id),
  });
  assert.deepEqual(bobsList.peers.map((p) => p.name), ["alice"]);

  await alice.command({ cmd: "send", to: "bob", text: "hello bob" });
  const received = await bob.waitFor("message", { test: (e) => e.text === "hello bob" });
  assert.equal(received.from.id, alice.id);
  assert.equal(received.from.name, "alice");
  assert.equal(received.broadcast, false);
  const delivered = await alice.waitFor("delivered", { test: (e) => e.id === received.id });
  assert.equal(delivered.to.id, bob.id);

  await bob.command({ cmd: "send", to: "alice", text: "hi alice, ünïcödé ✓ @:;" });
  const reply = await alice.waitFor("message", { test: (e) => e.from.id === bob.id });
  assert.equal(reply.text, "hi alice, ünïcödé ✓ @:;");
  await bob.waitFor("delivered", { test: (e) => e.id === reply.id });

  assert.equal(await alice.quit(), 0);
  assert.equal(await bob.quit(), 0);
});

Deno.test("five peers see each other and a broadcast reaches every one of them", async () => {
  await using net = await TestNetwork.start();
  const names = ["ann", "ben", "cid", "dee", "eve"];
  const peers = await Promise.all(
    names.map((name) => net.peer(name)),
  );
  try {
    for (const peer of peers) {
      const others = names.filter((n) => n !== peer.name).sort();
      // Whether the list came as one snapshot or as joins, it ends complete.
      await waitUntil(() => sameNames(knownPeers(peer), others), `${peer.name} to know all others`);
    }

    const [ann, ...rest] = peers;
    await ann.command({ cmd: "broadcast", text: "hello everyone" });
    for (const peer of rest) {
      const message = await peer.waitFor("message", { test: (e) => e.text === "hello everyone" });
      assert.equal(message.broadcast, true);
      assert.equal(message.from.name, "ann");
    }
    const delivered = await waitUntil(
      () => ann.all("delivered").length >= rest.length ? ann.all("delivered") : undefined,
      "ann to see four deliveries",
    );
    assert.deepEqual(delivered.map((e) => e.to.name).sort(), ["ben", "cid", "dee", "eve"]);
    assert.equal(new Set(delivered.map((e) => e.id)).size, 1, "one message ID for the broadcast");

    // A direct message goes to its recipient only.
    const mark = peers.map((p) => p.mark());
    await peers[1].command({ cmd: "send", to: "eve", text: "just for eve" });
    await peers[4].waitFor("message", { test: (e) => e.text === "just for eve" });
    await peers[1].waitFor("delivered", { after: mark[1] });
    for (const i of [0, 2, 3]) {
      assert.ok(!peers[i].all("message").some((e) => e.text === "just for eve"));
    }
  } finally {
    await Promise.all(peers.map((p) => p[Symbol.asyncDispose]()));
  }
});

Deno.test("a send to an unknown name or to oneself is an error and the peer keeps going", async () => {
  await using net = await TestNetwork.start();
  await using alice = await net.peer("alice");

  await alice.command({ cmd: "send", to: "nobody", text: "hello?" });
  const unknown = await alice.waitFor("error");
  assert.match(unknown.message, /No peer named "nobody" is known/);
  const mark = alice.mark();
  await alice.command({ cmd: "send", to: "alice", text: "me" });
  assert.match((await alice.waitFor("error", { after: mark })).message, /That is this peer/);
  const mark2 = alice.mark();
  await alice.command({ cmd: "send", to: "x", text: "y".repeat(70_000) });
  assert.match(
    (await alice.waitFor("error", { after: mark2 })).message,
    /Message too long: 70000 characters/,
  );
  await alice.command({ cmd: "peers" });
  await alice.waitFor("peers", { after: mark2 });
  assert.equal(await alice.quit(), 0);
});
