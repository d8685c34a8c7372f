import assert from "node:assert/strict";
import { FlakyProxy } from "../../demo/mod.ts";
import { parseHostPort } from "../../protocol/mod.ts";
import { TestNetwork } from "../support/network.ts";
import type { PeerProcess } from "../support/processes.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

const COUNT = 300;

Deno.test("links cut again and again under traffic lose nothing and double nothing", async () => {
  // Alice reaches bob only through a relay the test can cut.
  await using relay = new FlakyProxy({ hostname: "127.0.0.1", port: 9 });
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob", {
    args: ["--advertise", `127.0.0.1:${relay.address.port}`],
  });
  relay.retarget(parseHostPort(bob.listen));
  // Direct links only: a punched or relayed one would go round the proxy.
  const alice = await network.peer("alice", { args: ["--link-paths", "direct"] });
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");

  let cuts = 0;
  const cutter = setInterval(() => cuts += relay.cut(), 120);
  try {
    for (let i = 0; i < COUNT; i++) {
      await alice.command({ cmd: "send", to: "bob", text: `m${i}` });
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 15));
    }
    // Count messages, not events: one that waits in the outbox ("pending") and
    // then goes out on a new link ("sent") reports both. The commands are
    // written at once but committed one by one: on the loaded test machine
    // that went at about 20 per second (300 in 14 s), slower still at times.
    await waitUntil(() => acceptedIds(alice).size >= COUNT, "all accepted", 60_000);
    await new Promise((resolve) => setTimeout(resolve, 600)); // a few more cuts mid-delivery
  } finally {
    clearInterval(cutter);
  }
  assert.ok(cuts >= 3, `the relay cut ${cuts} live connections`);

  const accepted = acceptedIds(alice);
  assert.equal(accepted.size, COUNT);
  await waitUntil(
    () => accepted.size === new Set(alice.all("delivered").map((e) => e.id)).size,
    "every message delivered",
    30_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const texts = bob.all("message").map((e) => e.text);
  assert.equal(texts.length, COUNT, "each message shown exactly once");
  assert.deepEqual(texts, Array.from({ length: COUNT }, (_, i) => `m${i}`), "in the order sent");
  const mark = bob.mark();
  await bob.command({ cmd: "history", with: "alice", limit: 1000 });
  const history = await bob.waitFor("history", { after: mark });
  assert.equal(history.messages.length, COUNT);
  assert.equal(new Set(history.messages.map((m) => m.id)).size, COUNT, "no duplicate in history");
});

/** IDs of the messages the sender has committed (each reports `sent`, `pending` or both). */
function acceptedIds(peer: PeerProcess): Set<string> {
  return new Set([...peer.all("sent"), ...peer.all("pending")].map((e) => e.id));
}
