import assert from "node:assert/strict";
import { encodeFrame, encodeMessage } from "../../protocol/mod.ts";
import { createLogger } from "../../log/mod.ts";
import { Identity } from "../../peer/mod.ts";
import { keepAlive, RawPeer } from "../../sim/mod.ts";
import {
  addressOf,
  assertStillServed,
  expectRefusal,
  KEEPALIVE_MS,
  registeredPeer,
  startRegistry,
} from "./registry_fixture.ts";

const text = (value: string) => new TextEncoder().encode(value);

/** Bad input a stranger may send, and the code the registry must answer with. */
const BAD_INPUTS: { what: string; bytes: Uint8Array; code: string }[] = [
  {
    what: "an HTTP request (garbage to a frame reader)",
    bytes: text("GET / HTTP/1.1\r\nHost: registry\r\n\r\n"),
    code: "frame_too_large",
  },
  {
    what: "a length prefix of 0xFFFFFFFF",
    bytes: new Uint8Array([0xff, 0xff, 0xff, 0xff]),
    code: "frame_too_large",
  },
  {
    what: "a length prefix one byte over the 1 MiB limit",
    bytes: new Uint8Array([0x00, 0x10, 0x00, 0x01]),
    code: "frame_too_large",
  },
  {
    what: "a frame that is not UTF-8",
    bytes: encodeFrame(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
    code: "bad_utf8",
  },
  { what: "a frame that is not JSON", bytes: encodeFrame(text("{type: hello")), code: "bad_json" },
  { what: "a JSON array", bytes: encodeFrame(text('["hello", 1]')), code: "invalid_message" },
  { what: "a JSON string", bytes: encodeFrame(text('"hello"')), code: "invalid_message" },
  {
    what: "a hello with a missing field",
    bytes: encodeMessage({ type: "hello", client: "x" }),
    code: "invalid_message",
  },
  {
    what: "an unknown message type",
    bytes: encodeMessage({ type: "teleport", to: "mars" }),
    code: "unknown_type",
  },
  {
    what: "a type inherited from Object.prototype",
    bytes: encodeMessage({ type: "constructor" }),
    code: "unknown_type",
  },
];

Deno.test("bad bytes get an error frame with the right code while others are still served", async (t) => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);

  for (const { what, bytes, code } of BAD_INPUTS) {
    await t.step(`${what} -> ${code}`, async () => {
      const rejected = registry.stats().framesRejected;
      await using stranger = await RawPeer.connect(addressOf(registry), {
        identity: alice.identity,
      });
      await stranger.sendRaw(bytes);
      await expectRefusal(stranger, code);
      assert.equal(registry.stats().framesRejected, rejected + 1);
      await alice.heartbeat();
    });
  }

  await t.step("half a frame header, then silence -> timeout", async () => {
    const rejected = registry.stats().framesRejected;
    await using staller = await RawPeer.connect(addressOf(registry), { identity: alice.identity });
    const started = Date.now();
    await staller.sendRaw(new Uint8Array([0x00, 0x00]));
    await alice.heartbeat();
    await expectRefusal(staller, "timeout");
    // registerTimeoutMs is 500; a timer never fires early.
    assert.ok(Date.now() - started >= 400, `refused after ${Date.now() - started} ms`);
    assert.equal(registry.stats().framesRejected, rejected + 1);
  });

  await t.step("a connection that never says anything -> timeout", async () => {
    await using mute = await RawPeer.connect(addressOf(registry), { identity: alice.identity });
    await expectRefusal(mute, "timeout");
  });

  assert.equal(alice.peerList?.deltas, 0, "none of it reached the peer list");
  assert.equal(registry.stats().connectionsOpen, 1);
  await assertStillServed(registry, alice, "carol");
});

Deno.test("a registered peer that sends a bad frame is disconnected and leaves the list", async () => {
  await using registry = await startRegistry();
  await using alice = await registeredPeer(registry, "alice");
  await using bob = await registeredPeer(registry, "bob");
  using _beat = keepAlive([alice], KEEPALIVE_MS);

  await bob.sendRaw(encodeFrame(text("not json")));

  await expectRefusal(bob, "bad_json");
  await alice.waitForPeers((peers) => !peers.has(bob.identity.id));
  const left = alice.messages.flatMap((m) => m.type === "peers_delta" ? m.changes : [])
    .find((c) => c.op === "left");
  assert.deepEqual(left, { op: "left", id: bob.identity.id, reason: "timeout" });
  assert.equal(registry.peer(bob.identity.id), undefined);
});

Deno.test("frames split into single bytes or sent together are read correctly", async (t) => {
  await using registry = await startRegistry();

  await t.step("a hello written one byte at a time", async () => {
    await using peer = await RawPeer.connect(addressOf(registry));
    const hello = encodeMessage({ type: "hello", protocol: 1, client: "slow-typist" });
    for (const byte of hello) {
      await peer.sendRaw(new Uint8Array([byte]));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const challenge = await peer.next("challenge");
    assert.equal(challenge.epoch, registry.info().epoch);
  });

  await t.step("hello and a heartbeat in one write", async () => {
    await using peer = await RawPeer.connect(addressOf(registry));
    const hello = encodeMessage({ type: "hello", protocol: 1, client: "eager" });
    const heartbeat = encodeMessage({ type: "heartbeat", seq: 1 });
    const both = new Uint8Array(hello.length + heartbeat.length);
    both.set(hello);
    both.set(heartbeat, hello.length);
    await peer.sendRaw(both);
    // The challenge is answered first; the early heartbeat is then out of turn.
    await peer.next("challenge");
    await expectRefusal(peer, "unexpected_message");
  });
});

Deno.test("fifty connections sending garbage at once do not disturb a registered peer", async () => {
  const logged: string[] = [];
  await using registry = await startRegistry({
    logger: createLogger({ write: (line) => logged.push(line) }),
  });
  await using alice = await registeredPeer(registry, "alice");
  using _beat = keepAlive([alice], KEEPALIVE_MS);
  const rejected = registry.stats().framesRejected;
  const identity = await Identity.generate();

  const strangers = await Promise.all(
    Array.from({ length: 50 }, () => RawPeer.connect(addressOf(registry), { identity })),
  );
  try {
    const refusals = strangers.map(async (stranger, index) => {
      const { bytes, code } = BAD_INPUTS[index % BAD_INPUTS.length];
      await stranger.sendRaw(bytes);
      await expectRefusal(stranger, code);
    });
    // Alice's heartbeats are answered while the garbage is being refused.
    const acks = (async () => {
      for (let i = 0; i < 5; i++) await alice.heartbeat();
    })();
    await Promise.all([...refusals, acks]);
  } finally {
    await Promise.all(strangers.map((stranger) => stranger.close()));
  }

  assert.equal(registry.stats().framesRejected, rejected + 50);
  assert.deepEqual(registry.peers().map((p) => p.name), ["alice"]);
  assert.equal(alice.peerList?.deltas, 0, "alice saw no change to the list");
  await assertStillServed(registry, alice, "carol");

  // A few lines, not fifty, and each refusal counted in them (shutdown writes the last counts).
  await registry.shutdown();
  const refusals = logged.filter((line) => line.includes("connection refused"));
  const counted = refusals.reduce(
    (sum, line) => sum + 1 + Number(/ suppressed=(\d+)/.exec(line)?.[1] ?? 0),
    0,
  );
  assert.equal(counted, 50, refusals.join("\n"));
  assert.ok(
    refusals.length <= 3 * 5,
    `${refusals.length} lines for 5 codes:\n${refusals.join("\n")}`,
  );
});
