import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import { waitUntil } from "../support/wait.ts";

Deno.test("a peer restarted with the same data dir keeps its ID, and others see the same peer", async () => {
  await using network = await TestNetwork.start();
  const bob = await network.peer("bob");

  const first = await network.peer("alice");
  const firstId = first.id;
  assert.equal(await first.quit(), 0);
  await first[Symbol.asyncDispose]();
  const key = await Deno.stat(`${network.dir}/alice/identity.json`);
  assert.equal(key.mode! & 0o777, 0o600, "the private key is readable by its owner only");

  const again = await network.peer("alice");
  assert.equal(again.id, firstId);
  const aliceJoins = await waitUntil(() => {
    const joins = bob.all("peer_joined").filter((e) => e.peer.name === "alice");
    return joins.length === 2 && joins;
  }, "bob to see alice join twice");
  assert.deepEqual(aliceJoins.map((e) => e.peer.id), [firstId, firstId]);

  const other = await network.peer("alice2");
  assert.notEqual(other.id, firstId, "a different data dir is a different identity");
});

Deno.test("a second peer claiming an online name is refused and exits with status 1", async () => {
  await using network = await TestNetwork.start();
  const alice = await network.peer("alice");
  const impostor = await network.peer("Alice", { dataDir: "impostor", waitRegistered: false });
  const refusal = await impostor.waitFor("error");
  assert.match(refusal.message, /Name "Alice" is in use by another online peer/);
  assert.equal((await impostor.exited).code, 1);
  assert.equal(impostor.all("registered").length, 0);
  // The rightful owner never noticed.
  const mark = alice.mark();
  await alice.command({ cmd: "peers" });
  const list = await alice.waitFor("peers", { after: mark });
  assert.deepEqual(list.peers, []);
});
