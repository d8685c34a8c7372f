import assert from "node:assert/strict";
import { TestNetwork } from "../support/network.ts";

// The registry in these tests announces 200 ms heartbeats and evicts after 3 missed.
const HEARTBEAT_MS = 200;
const EVICT_AFTER = 3;

Deno.test("a peer that quits is seen leaving with reason bye right away", async () => {
  await using net = await TestNetwork.start();
  await using alice = await net.peer("alice");
  await using bob = await net.peer("bob");
  await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });

  const mark = alice.mark();
  const quitAt = performance.now();
  assert.equal(await bob.quit(), 0);
  const left = await alice.waitFor("peer_left", { after: mark });
  const seenAfterMs = performance.now() - quitAt;
  assert.equal(left.peer.id, bob.id);
  assert.equal(left.reason, "bye");
  // A clean exit is announced, not discovered by missing heartbeats.
  assert.ok(
    seenAfterMs < HEARTBEAT_MS * EVICT_AFTER,
    `bye took ${seenAfterMs.toFixed(0)} ms, as long as an eviction`,
  );
  assert.ok(bob.events.at(-1)?.event === "bye", "the quitting peer says bye last");
});

Deno.test("a SIGKILLed peer is gone from everyone's list within the eviction window", async () => {
  await using net = await TestNetwork.start();
  await using alice = await net.peer("alice");
  await using bob = await net.peer("bob");
  await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });

  const mark = alice.mark();
  bob.kill("SIGKILL");
  const left = await alice.waitFor("peer_left", {
    after: mark,
    timeoutMs: HEARTBEAT_MS * (EVICT_AFTER + 1) + 5000,
  });
  assert.equal(left.peer.id, bob.id);
  // No bye was said: the registry noticed by itself.
  assert.equal(left.reason, "timeout");
});

Deno.test("a frozen peer (SIGSTOP) is evicted after the configured missed heartbeats", {
  ignore: Deno.build.os === "windows",
}, async () => {
  await using net = await TestNetwork.start();
  await using alice = await net.peer("alice");
  await using bob = await net.peer("bob");
  await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });

  const mark = alice.mark();
  const stoppedAt = performance.now();
  bob.kill("SIGSTOP");
  try {
    const left = await alice.waitFor("peer_left", { after: mark, timeoutMs: 10_000 });
    const silentMs = performance.now() - stoppedAt;
    assert.equal(left.peer.id, bob.id);
    assert.equal(left.reason, "timeout");
    // Its socket stayed open, so only missed heartbeats can explain this:
    // not before (evictAfter − 1) intervals of silence have passed.
    assert.ok(
      silentMs >= HEARTBEAT_MS * (EVICT_AFTER - 1),
      `evicted after only ${silentMs.toFixed(0)} ms of silence`,
    );
  } finally {
    bob.kill("SIGCONT");
  }
});
