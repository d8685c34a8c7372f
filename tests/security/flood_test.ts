/**
 * One peer must not be able to exhaust another. A link that completes the
 * real handshake ("mallory", a real link pool in this process) floods a real
 * peer ("bob") for a bounded time: bob stops reading the link while its
 * commits are pending, so its memory stays bounded; the sender's quota caps
 * what bob stores of it; mallory is told `refused`; and carol, another real
 * peer, still chats with bob meanwhile. Real senders over a quota are told
 * too, and nothing they sent is lost silently: a rate refusal goes again
 * after the window, a full store fails the message with the reason.
 */

import assert from "node:assert/strict";
import type { ChatMessage, PeerInfo } from "../../protocol/mod.ts";
import { STORE_FILE } from "../../peer/store/mod.ts";
import { LinkEnd } from "../support/link_end.ts";
import { mb, MemoryWatch } from "../support/memory_watch.ts";
import { TestNetwork } from "../support/network.ts";
import { sampleChat } from "../support/sample_messages.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

/** How long mallory floods. */
const FLOOD_MS = 8000;
/** Chats mallory writes before waiting for its own socket to take them. */
const FLOOD_BURST = 64;
/** What bob stores of one sender at most, in the flood test. */
const STORE_CAP = 16 * 1024 * 1024;
/**
 * Without back-pressure bob grew by 463 MiB in these 8 s, and on; held back,
 * it rises by 110–160 MiB (collector headroom for what it decrypts) and stays
 * there however long the flood lasts (measured over 20 s).
 */
const MAX_RSS_GROWTH_BYTES = 224 * 1024 * 1024;
/**
 * The database and its write-ahead log grow by what is stored (the cap), the
 * B-tree's slack and the WAL's pages until a checkpoint: well under 2× the cap.
 */
const MAX_STORE_GROWTH_BYTES = 2 * STORE_CAP + 8 * 1024 * 1024;

/** Bytes of bob's message store on disk: the database and its write-ahead log. */
async function storeBytes(dataDir: string): Promise<number> {
  let total = 0;
  for (const file of [STORE_FILE, `${STORE_FILE}-wal`]) {
    try {
      total += (await Deno.stat(`${dataDir}/${file}`)).size;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return total;
}

/** A link message's type, whatever this build's payload union holds. */
function typeOf(message: { type: string }): string {
  return message.type;
}

Deno.test("a link that floods a peer is held back: memory and store stay bounded, others still chat", async () => {
  await using network = await TestNetwork.start(["--no-dashboard"]);
  const bob = await network.peer("bob", {
    // Rates high enough that only back-pressure and the stored-bytes cap hold the flood.
    args: [
      "--sender-messages-per-minute",
      "10000000",
      "--sender-bytes-per-minute",
      String(2 ** 40),
      "--sender-max-stored-bytes",
      String(STORE_CAP),
    ],
  });
  const carol = await network.peer("carol");
  await waitUntil(() => knownPeers(carol).includes("bob"), "carol to see bob");
  await using mallory = await LinkEnd.start("mallory");
  const bobInfo: PeerInfo = { id: bob.id, name: "bob", address: bob.listen };
  const link = await mallory.pool.linkTo(bobInfo);

  const storeBefore = await storeBytes(`${network.dir}/bob`);
  await using memory = new MemoryWatch({ bob: bob.child.pid });
  const text = "flood ".repeat(1365); // 8,190 bytes, as a chatty bot would write
  let sent = 0;
  const until = Date.now() + FLOOD_MS;
  const flooding = (async () => {
    while (Date.now() < until && !link.closed) {
      for (let i = 0; i < FLOOD_BURST; i++) link.send(sampleChat(text) as ChatMessage);
      sent += FLOOD_BURST;
      // Only what the socket takes: bob holding back must slow mallory, not
      // fill mallory's own queue until it gives up.
      await link.channel.flushed();
    }
  })();

  // Mid-flood, carol and bob still chat both ways.
  await new Promise((resolve) => setTimeout(resolve, FLOOD_MS / 4));
  const asked = Date.now();
  const bobMark = bob.mark();
  await carol.command({ cmd: "send", to: "bob", text: "are you there, bob?" });
  await bob.waitFor("message", {
    test: (e) => e.text === "are you there, bob?",
    after: bobMark,
    timeoutMs: 30_000,
  });
  const heardMs = Date.now() - asked;
  const carolMark = carol.mark();
  await bob.command({ cmd: "send", to: "carol", text: "here, carol" });
  await carol.waitFor("message", {
    test: (e) => e.text === "here, carol",
    after: carolMark,
    timeoutMs: 30_000,
  });
  const answeredMs = Date.now() - asked;
  await new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, until - FLOOD_MS / 2 - Date.now()))
  );
  const halfway = await memory.sample();
  await flooding;

  const now = await memory.sample();
  const storeGrowth = (await storeBytes(`${network.dir}/bob`)) - storeBefore;
  const acks = mallory.idsOf("ack").length;
  const refusals = mallory.received.filter(({ message }) => typeOf(message) === "refused");
  const reasons = new Map<string, number>();
  for (const { message } of refusals) {
    const reason = (message as unknown as { reason: string }).reason;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  console.log(
    `flood ${FLOOD_MS} ms: ${sent} chats of ${text.length} bytes written, ${acks} acknowledged, ` +
      `refused ${JSON.stringify(Object.fromEntries(reasons))}; memory ${memory.summary(now)} ` +
      `(${mb(halfway.bob)} halfway); ` +
      `bob's store +${mb(storeGrowth)} (cap ${mb(STORE_CAP)}); ` +
      `carol heard by bob after ${heardMs} ms, answered after ${answeredMs} ms`,
  );

  const grew = memory.peak.bob - memory.before.bob;
  assert.ok(grew < MAX_RSS_GROWTH_BYTES, `bob's memory grew by ${mb(grew)}`);
  assert.ok(
    storeGrowth < MAX_STORE_GROWTH_BYTES,
    `bob's store grew by ${mb(storeGrowth)}, beyond the ${mb(STORE_CAP)} cap`,
  );
  assert.ok(reasons.get("store_full"), "mallory was told its stored bytes reached the cap");
  // Bob is alive and still answers.
  const mark = bob.mark();
  await bob.command({ cmd: "peers" });
  await bob.waitFor("peers", { after: mark });
});

Deno.test("a sender over its rate is told, and what was refused goes again after the window", async () => {
  await using network = await TestNetwork.start(["--no-dashboard"]);
  const bob = await network.peer("bob", { args: ["--sender-messages-per-minute", "60"] });
  const alice = await network.peer("alice");
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");
  const count = 70;
  for (let i = 0; i < count; i++) await alice.command({ cmd: "send", to: "bob", text: `m${i}` });

  const refused = await alice.waitFor("refused", { timeoutMs: 15_000 });
  assert.equal(refused.reason, "too_many_messages");
  assert.equal(refused.to.name, "bob");
  assert.ok(refused.retryInMs > 0 && refused.retryInMs <= 60_000, `retry in ${refused.retryInMs}`);
  const started = Date.now();
  await waitUntil(() => alice.all("delivered").length === count, "every message delivered", 45_000);
  console.log(
    `${alice.all("refused").length} refusals, the first retry in ${refused.retryInMs} ms; ` +
      `all ${count} delivered ${Date.now() - started} ms after the first refusal`,
  );
  assert.equal(alice.all("failed").length, 0, "a rate refusal fails nothing");
  assert.doesNotMatch(bob.stderr, /invalid_message/, "every refusal was a valid message");
  await waitUntil(() => bob.all("message").length === count, "bob to show every message");
  assert.deepEqual(
    bob.all("message").map((e) => e.text),
    Array.from({ length: count }, (_, i) => `m${i}`),
    "shown once each, in the order sent",
  );
});

Deno.test("a sender whose stored bytes reach the cap gets failed with the reason, after a restart too", async () => {
  await using network = await TestNetwork.start(["--no-dashboard"]);
  const bobArgs = ["--sender-max-stored-bytes", "65536"];
  const bobFirst = await network.peer("bob", { args: bobArgs });
  const alice = await network.peer("alice");
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");
  // 10,000 bytes and a row's 128 each: six fit in 65,536, the seventh does not.
  const big = (i: number) => `${i}`.padEnd(10_000, "x");
  for (let i = 0; i < 7; i++) await alice.command({ cmd: "send", to: "bob", text: big(i) });
  const failed = await alice.waitFor("failed", { timeoutMs: 15_000 });
  assert.match(failed.reason, /^bob's store is full for you: /);
  await waitUntil(() => alice.all("delivered").length === 6, "six delivered");
  assert.equal(bobFirst.all("message").length, 6);
  const outboxMark = alice.mark();
  await alice.command({ cmd: "outbox" });
  const outbox = await alice.waitFor("outbox", { after: outboxMark });
  assert.deepEqual(outbox.messages, [], "the refused message is failed, not left waiting");
  // A clean quit (the data dir is free at once), then the pipes closed.
  await bobFirst.quit().finally(() => bobFirst[Symbol.asyncDispose]());

  // What bob holds is counted from its store, so a restart does not reset the cap.
  const bob = await network.peer("bob", { args: bobArgs });
  await waitUntil(
    () => alice.all("peer_joined").some((e) => e.peer.id === bob.id),
    "alice to see bob again",
  );
  const mark = alice.mark();
  await alice.command({ cmd: "send", to: "bob", text: "7".padEnd(10_000, "x") });
  await alice.command({ cmd: "send", to: "bob", text: "a short one still fits" });
  const again = await alice.waitFor("failed", { after: mark, timeoutMs: 15_000 });
  assert.match(again.reason, /^bob's store is full for you: /);
  await bob.waitFor("message", { test: (e) => e.text === "a short one still fits" });
  assert.equal(bob.all("message").length, 1);
});
