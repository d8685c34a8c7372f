import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";
import type { PeerProcess } from "../support/processes.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

Deno.test("a pinned name that comes back with another key is reported and gets nothing until /trust", async () => {
  await using network = await TestNetwork.start();
  const alice = await network.peer("alice");
  const original = await network.peer("bob", { dataDir: "b1" });
  const oldId = original.id;
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see the first bob");
  assert.equal(await original.quit(), 0);
  await original[Symbol.asyncDispose]();
  await alice.waitFor("peer_left");

  // Someone else now registers as "bob", with a new key.
  const newcomer = await network.peer("bob", { dataDir: "b2" });
  assert.notEqual(newcomer.id, oldId);
  const changed = await alice.waitFor("key_changed");
  assert.deepEqual(changed, { event: "key_changed", name: "bob", oldId, newId: newcomer.id });

  await alice.command({ cmd: "send", to: "bob", text: "is that really you?" });
  const pending = await alice.waitFor("pending");
  assert.equal(pending.to.id, newcomer.id);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(alice.all("delivered").length, 0, "held until trusted");
  assert.equal(newcomer.all("message").length, 0);

  await alice.command({ cmd: "trust", name: "bob", id: newcomer.id.slice(0, 8) });
  const trusted = await alice.waitFor("trusted");
  assert.equal(trusted.peer.id, newcomer.id);
  assert.equal(trusted.previousId, oldId);
  await alice.waitFor("delivered", { test: (e) => e.id === pending.id });
  await newcomer.waitFor("message", { test: (e) => e.text === "is that really you?" });
});

Deno.test("messages from a changed key are marked unverified until that key is trusted", async () => {
  await using network = await NetworkOfThree.start();
  const { alice, impostor } = network;

  // The impostor writes first, under the name alice has pinned to someone else.
  await impostor.command({ cmd: "send", to: "alice", text: "it's me, bob, send the keys" });
  const forged = await alice.waitFor("message", {
    test: (e) => e.text === "it's me, bob, send the keys",
  });
  assert.equal(forged.from.id, impostor.id);
  assert.equal(forged.from.name, "bob", "the registry's name, as listed");
  assert.equal(forged.unverified, true, "but marked as from a key that is not bob's pin");

  await alice.command({ cmd: "history", with: "bob", limit: 5 });
  const history = await alice.waitFor("history");
  assert.equal(history.unverified, true, "its conversation is marked too");

  await alice.command({ cmd: "trust", name: "bob", id: impostor.id });
  await alice.waitFor("trusted");
  await impostor.command({ cmd: "send", to: "alice", text: "thanks" });
  const after = await alice.waitFor("message", { test: (e) => e.text === "thanks" });
  assert.equal(after.unverified, false, "a trusted key is verified");
});

Deno.test("/trust names the key it accepts: a third key that took the name meanwhile is not trusted", async () => {
  await using network = await NetworkOfThree.start();
  const { alice, impostor } = network;
  const shown = await alice.waitFor("key_changed");
  assert.equal(shown.newId, impostor.id);

  // Before alice gets round to trusting the key she was shown, the name changes hands again.
  assert.equal(await impostor.quit(), 0);
  await alice.waitFor("peer_left", { test: (e) => e.peer.id === impostor.id });
  const third = await network.peer("bob", { dataDir: "b3" });
  await alice.waitFor("key_changed", { test: (e) => e.newId === third.id });

  const mark = alice.mark();
  await alice.command({ cmd: "trust", name: "bob" });
  const missing = await alice.waitFor("error", { after: mark });
  assert.match(missing.message, /needs "id"/);
  // After that answer, not at mark + 1: other events may come between.
  const answered = alice.mark();
  await alice.command({ cmd: "trust", name: "bob", id: shown.newId.slice(0, 8) });
  const refused = await alice.waitFor("error", { after: answered });
  assert.match(refused.message, /bob is now .*, not /);
  await alice.command({ cmd: "send", to: "bob", text: "for bob only" });
  await alice.waitFor("pending", { after: mark });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(alice.all("trusted").length, 0, "nothing was trusted");
  assert.equal(third.all("message").length, 0, "and nothing delivered to the third key");
});

/** alice, who pinned bob's first key, and an impostor now registered as "bob". */
class NetworkOfThree implements AsyncDisposable {
  readonly network: TestNetwork;
  readonly alice: PeerProcess;
  readonly impostor: PeerProcess;

  private constructor(parts: Pick<NetworkOfThree, "network" | "alice" | "impostor">) {
    this.network = parts.network;
    this.alice = parts.alice;
    this.impostor = parts.impostor;
  }

  /** Starts another peer on the same network (see {@linkcode TestNetwork.peer}). */
  peer(name: string, options: { dataDir: string }): Promise<PeerProcess> {
    return this.network.peer(name, options);
  }

  static async start(): Promise<NetworkOfThree> {
    const network = await TestNetwork.start();
    try {
      const alice = await network.peer("alice");
      const bob = await network.peer("bob", { dataDir: "b1" });
      await waitUntil(() => knownPeers(alice).includes("bob"), "alice to pin bob");
      assert.equal(await bob.quit(), 0);
      await alice.waitFor("peer_left", { test: (e) => e.peer.id === bob.id });
      const impostor = await network.peer("bob", { dataDir: "b2" });
      await alice.waitFor("key_changed", { test: (e) => e.newId === impostor.id });
      await waitUntil(() => knownPeers(impostor).includes("alice"), "the impostor to see alice");
      return new NetworkOfThree({ network, alice, impostor });
    } catch (error) {
      await network[Symbol.asyncDispose]();
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.network[Symbol.asyncDispose]();
  }
}
