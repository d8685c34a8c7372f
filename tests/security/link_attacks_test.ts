/**
 * Attacks on a real peer's direct links: frames altered, replayed or
 * reordered on an established link, handshakes cut short, left hanging,
 * downgraded, aimed at the wrong peer or signed with the wrong key, and
 * well-sealed nonsense. Each time the peer ("bob") must close that link, say
 * why on stderr, and go on serving everyone else ("alice").
 */

import assert from "node:assert/strict";
import { Identity } from "../../peer/mod.ts";
import {
  type ChatMessage,
  encodeMessage,
  LINK_PROTOCOL_VERSION,
  newEphemeralKey,
  newMessageId,
  ProtocolError,
  shortId,
} from "../../protocol/mod.ts";
import { TestNetwork } from "../support/network.ts";
import type { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";
import {
  dialByHand,
  dialGenuine,
  HandSealer,
  LinkClient,
  sealedMessagesUntilClosed,
} from "./link_client.ts";

/** A registry with bob (the target) and alice (everyone else), all real processes. */
interface Cast {
  registry: RegistryProcess;
  bob: PeerProcess;
  alice: PeerProcess;
}

async function startCast(): Promise<Cast & AsyncDisposable> {
  await using stack = new AsyncDisposableStack();
  const network = stack.use(await TestNetwork.start(["--no-dashboard"]));
  const bob = await network.peer("bob");
  const alice = await network.peer("alice");
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");
  const owned = stack.move();
  return {
    registry: network.registry,
    bob,
    alice,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

/** A chat message as a real sender would write it. */
function chat(text: string): ChatMessage {
  return { type: "chat", id: newMessageId(), text, sentAt: Date.now(), broadcast: false };
}

/** A copy of `frame` with one byte of its sealed payload (not its header) flipped. */
function flipByte(frame: Uint8Array): Uint8Array {
  const copy = frame.slice();
  copy[4 + 10] ^= 0x01;
  return copy;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/** Waits until bob has logged one line holding every one of `parts`. */
async function bobLogged(bob: PeerProcess, parts: string[]): Promise<string> {
  return await waitUntil(
    () => bob.stderr.split("\n").find((line) => parts.every((part) => line.includes(part))),
    `bob to log a line with ${JSON.stringify(parts)}; stderr so far:\n${bob.stderr}`,
  );
}

/** Bob's log line for an established link he closed for `code`. */
function linkClosedBy(attacker: Identity, code: string): string[] {
  return ["link closed: protocol error", `peer=${shortId(attacker.id)} `, `code=${code} `];
}

/** Bob's log line for a handshake from `client` he refused with `code`. */
function handshakeRefused(client: LinkClient, code: string): string[] {
  return ["incoming link refused", `remote=${client.localAddress} `, `code=${code} `];
}

/** A message as it arrived, plaintext or opened. */
type LinkFrame = { type?: unknown; code?: unknown };

/** True if every message in `batches` is an `error` with `code` (or there is none). */
function onlyErrors(batches: LinkFrame[][], code: string): boolean {
  return batches.flat().every((m) => m.type === "error" && m.code === code);
}

/** Texts bob has shown as coming from `peerId`. */
function shownFrom(bob: PeerProcess, peerId: string): string[] {
  return bob.all("message").filter((event) => event.from.id === peerId).map((e) => e.text);
}

/** Alice sends bob a message through the real app, and it is delivered and shown. */
async function assertBobServesAlice({ bob, alice }: Cast, text: string): Promise<void> {
  const mark = alice.mark();
  await alice.command({ cmd: "send", to: "bob", text });
  const message = await bob.waitFor("message", { test: (e) => e.text === text });
  assert.equal(message.from.id, alice.id, "shown as coming from alice");
  await alice.waitFor("delivered", { test: (e) => e.id === message.id, after: mark });
}

Deno.test("a peer drops an established link whose sealed frames were tampered with, replayed or reordered", async (t) => {
  await using cast = await startCast();
  const { bob } = cast;

  await t.step(
    "one flipped byte ends the link; what came before is shown once, nothing after",
    async () => {
      const mallory = await Identity.generate();
      await using client = await LinkClient.connect(bob.listen);
      const channel = await dialGenuine(client, mallory, bob.id);
      const before = chat("accepted before the tampering");
      channel.send(before);
      assert.deepEqual(await channel.receive(), { type: "ack", id: before.id });
      await bob.waitFor("message", { test: (e) => e.id === before.id });

      // Seal two more; flip a byte in the first and send both in one write.
      client.stream.holding = true;
      channel.send(chat("tampered with on the way"));
      await channel.flushed();
      channel.send(chat("sent after the tampered frame"));
      await channel.flushed();
      client.stream.holding = false;
      const [tampered, following] = client.stream.frames.slice(-2);
      client.stream.writeRaw(concat(flipByte(tampered), following));

      assert.deepEqual(await sealedMessagesUntilClosed(channel), [], "closed without a word");
      await bobLogged(bob, linkClosedBy(mallory, "bad_ciphertext"));

      // The sender comes back on a fresh link and resends the first message,
      // as one whose ack was lost would: acknowledged again, not shown again.
      await using again = await LinkClient.connect(bob.listen);
      const retry = await dialGenuine(again, mallory, bob.id);
      retry.send(before);
      assert.deepEqual(await retry.receive(), { type: "ack", id: before.id });

      await assertBobServesAlice(cast, "still there after a tampered frame?");
      assert.deepEqual(shownFrom(bob, mallory.id), ["accepted before the tampering"]);
    },
  );

  await t.step("a replayed frame ends the link, on the same link or another", async () => {
    const mallory = await Identity.generate();
    await using client = await LinkClient.connect(bob.listen);
    const channel = await dialGenuine(client, mallory, bob.id);
    const original = chat("say it once");
    channel.send(original);
    await channel.flushed();
    const frame = client.stream.frames.at(-1)!;
    assert.deepEqual(await channel.receive(), { type: "ack", id: original.id });

    client.stream.writeRaw(frame);
    assert.deepEqual(await sealedMessagesUntilClosed(channel), [], "closed without a word");
    await bobLogged(bob, linkClosedBy(mallory, "bad_ciphertext"));

    // The captured frame was the first of its link; it is not the first of
    // another one, whose keys are new.
    await using other = await LinkClient.connect(bob.listen);
    const otherChannel = await dialGenuine(other, mallory, bob.id);
    const logged = bob.stderr.length;
    other.stream.writeRaw(frame);
    assert.deepEqual(await sealedMessagesUntilClosed(otherChannel), [], "closed without a word");
    await waitUntil(
      () => bob.stderr.slice(logged).includes(`peer=${shortId(mallory.id)} code=bad_ciphertext`),
      "bob to log the replay into another link",
    );

    await assertBobServesAlice(cast, "still there after a replay?");
    assert.deepEqual(shownFrom(bob, mallory.id), ["say it once"]);
  });

  await t.step("two frames sent in swapped order end the link; neither is shown", async () => {
    const mallory = await Identity.generate();
    await using client = await LinkClient.connect(bob.listen);
    const channel = await dialGenuine(client, mallory, bob.id);
    client.stream.holding = true;
    channel.send(chat("first in order"));
    await channel.flushed();
    channel.send(chat("second in order"));
    await channel.flushed();
    client.stream.holding = false;
    const [first, second] = client.stream.frames.slice(-2);
    client.stream.writeRaw(concat(second, first));

    assert.deepEqual(await sealedMessagesUntilClosed(channel), [], "closed without a word");
    await bobLogged(bob, linkClosedBy(mallory, "bad_ciphertext"));
    await assertBobServesAlice(cast, "still there after reordered frames?");
    assert.deepEqual(shownFrom(bob, mallory.id), []);
  });

  await t.step(
    "a plaintext chat frame on an established link ends it and is not shown",
    async () => {
      const mallory = await Identity.generate();
      await using client = await LinkClient.connect(bob.listen);
      const channel = await dialGenuine(client, mallory, bob.id);
      client.stream.writeRaw(encodeMessage(chat("in the clear after the handshake")));

      assert.deepEqual(await sealedMessagesUntilClosed(channel), [], "closed without a word");
      await bobLogged(bob, linkClosedBy(mallory, "bad_ciphertext"));
      await assertBobServesAlice(cast, "still there after a plaintext frame?");
      assert.deepEqual(shownFrom(bob, mallory.id), []);
    },
  );

  await t.step(
    "a well-sealed frame that is not a JSON array ends the link and is reported",
    async () => {
      const cases = [
        { plaintext: JSON.stringify(chat("one object, not a batch")), code: "invalid_message" },
        { plaintext: "[]", code: "invalid_message" },
        { plaintext: "this is not JSON", code: "bad_json" },
      ];
      const mallory = await Identity.generate();
      for (const { plaintext, code } of cases) {
        await using client = await LinkClient.connect(bob.listen);
        const sealer = new HandSealer(await dialByHand(client, bob.id, { signWith: mallory }));

        // A proper batch first: bob opens it, so the hand-made sealing is right.
        const proper = chat(`a proper batch before ${code}`);
        client.stream.writeRaw(await sealer.seal(JSON.stringify([proper])));
        const ack = await client.stream.readFrame();
        assert.ok(ack, "bob answered the proper batch");
        assert.deepEqual(await sealer.open(ack), [{ type: "ack", id: proper.id }]);

        const logged = bob.stderr.length;
        client.stream.writeRaw(await sealer.seal(plaintext));
        const batches = await sealer.batchesUntilClosed(client);
        // At most a sealed error with the code (a later test checks that it comes).
        assert.ok(
          onlyErrors(batches as LinkFrame[][], code),
          `nothing but a ${code} error answers ${plaintext}: ${JSON.stringify(batches)}`,
        );
        await waitUntil(
          () =>
            bob.stderr.slice(logged).includes(`peer=${shortId(mallory.id)} code=${code} `) &&
            bob.stderr.slice(logged).includes("link closed: protocol error"),
          `bob to log ${code}`,
        );
      }
      await assertBobServesAlice(cast, "still there after sealed nonsense?");
      assert.deepEqual(
        shownFrom(bob, mallory.id),
        cases.map(({ code }) => `a proper batch before ${code}`),
      );
    },
  );
});

Deno.test("a peer refuses handshakes that are cut short, stall, downgrade or lie about who is dialling", async (t) => {
  await using cast = await startCast();
  const { bob, alice } = cast;
  const hello = async () => ({
    type: "link_hello",
    protocol: LINK_PROTOCOL_VERSION,
    from: (await Identity.generate()).id,
    to: bob.id,
    ephemeral: (await newEphemeralKey()).publicKey.toBase64(),
  });

  await t.step("half a hello and then the end of the stream is refused as truncated", async () => {
    await using client = await LinkClient.connect(bob.listen);
    const frame = encodeMessage(await hello());
    client.stream.writeRaw(frame.subarray(0, frame.length >> 1));
    await client.stopSending();
    // Bob closes; there is nobody left to tell why (the dialler ended its side).
    assert.deepEqual(await client.plainFramesUntilClosed(), []);
    await bobLogged(bob, handshakeRefused(client, "truncated_frame"));
    await assertBobServesAlice(cast, "still there after half a hello?");
  });

  await t.step(
    "a frame bigger than a handshake needs is refused at once, before its bytes arrive",
    async () => {
      await using client = await LinkClient.connect(bob.listen);
      // 64 KiB would fit a link's 1 MiB frames; before the handshake only
      // 4 KiB do. Only the header is sent: waiting for the body would end in
      // a timeout instead.
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, 64 * 1024);
      const started = Date.now();
      client.stream.writeRaw(header);
      const frames = await client.plainFramesUntilClosed();
      assert.deepEqual(frames.map((f) => [f.type, f.code]), [["error", "frame_too_large"]]);
      assert.match(String(frames[0].message), /65536 bytes exceeds the 4096-byte limit/);
      assert.ok(Date.now() - started < 1500, "refused without waiting for the hello deadline");
      await bobLogged(bob, handshakeRefused(client, "frame_too_large"));
      await assertBobServesAlice(cast, "still there after a big frame before the handshake?");
    },
  );

  await t.step("a dialler that goes silent is timed out after about five seconds", async () => {
    await using mute = await LinkClient.connect(bob.listen);
    await using stalled = await LinkClient.connect(bob.listen);
    const started = Date.now();
    await stalled.sendPlain(await hello());
    const [muteFrames, stalledFrames] = await Promise.all([
      mute.plainFramesUntilClosed(),
      stalled.plainFramesUntilClosed(),
    ]);
    const waited = Date.now() - started;
    // At most a timeout error before the close (a later test checks that it comes).
    assert.ok(onlyErrors([muteFrames], "timeout"), JSON.stringify(muteFrames));
    assert.equal(stalledFrames[0]?.type, "link_accept");
    assert.ok(onlyErrors([stalledFrames.slice(1)], "timeout"), JSON.stringify(stalledFrames));
    assert.ok(waited >= 4000, `bob waited for the confirm (${waited} ms), not less`);
    await bobLogged(bob, handshakeRefused(mute, "timeout"));
    await bobLogged(bob, handshakeRefused(stalled, "timeout"));
    await assertBobServesAlice(cast, "still there after a stalled handshake?");
  });

  await t.step(
    "a hello of version 1 (plaintext) or 3 is refused with unsupported_version",
    async () => {
      const legacy = {
        type: "link_hello",
        protocol: 1,
        to: bob.id,
        nonce: crypto.getRandomValues(new Uint8Array(32)).toBase64(),
      };
      for (const attempt of [legacy, { ...await hello(), protocol: 3 }]) {
        await using client = await LinkClient.connect(bob.listen);
        await client.sendPlain(attempt);
        const frames = await client.plainFramesUntilClosed();
        assert.deepEqual(
          frames.map((f) => [f.type, f.code]),
          [["error", "unsupported_version"]],
          `protocol ${attempt.protocol}`,
        );
        await bobLogged(bob, handshakeRefused(client, "unsupported_version"));
      }
      await assertBobServesAlice(cast, "still there after a downgrade attempt?");
    },
  );

  await t.step("a plaintext chat frame instead of a hello is refused and not shown", async () => {
    await using client = await LinkClient.connect(bob.listen);
    await client.sendPlain(chat("no handshake, just talk"));
    const frames = await client.plainFramesUntilClosed();
    assert.deepEqual(frames.map((f) => [f.type, f.code]), [["error", "unknown_type"]]);
    await bobLogged(bob, handshakeRefused(client, "unknown_type"));
    await assertBobServesAlice(cast, "still there after a plaintext chat?");
    assert.ok(!bob.all("message").some((e) => e.text === "no handshake, just talk"));
  });

  await t.step("a genuine handshake addressed to another peer's ID fails", async () => {
    await using client = await LinkClient.connect(bob.listen);
    await assert.rejects(
      dialGenuine(client, await Identity.generate(), alice.id),
      (error) => error instanceof ProtocolError && error.code === "handshake_failed",
    );
    assert.deepEqual(await client.plainFramesUntilClosed(), []);
    await bobLogged(bob, handshakeRefused(client, "handshake_failed"));
    await assertBobServesAlice(cast, "still there after a misaddressed handshake?");
  });

  await t.step("a confirm signed with another key than the claimed ID's is refused", async () => {
    const mallory = await Identity.generate();
    const victim = await Identity.generate();
    const forgeries = [
      // Claims alice's ID, proves possession of mallory's key.
      { claimId: alice.id, signWith: mallory },
      // Claims the victim's ID and shows its key, but cannot sign with it.
      { claimId: victim.id, signWith: mallory, presentKey: victim.publicKeyBase64 },
    ];
    for (const forgery of forgeries) {
      await using client = await LinkClient.connect(bob.listen);
      const keys = await dialByHand(client, bob.id, forgery);
      // Talk as if accepted: none of it may reach bob's user.
      client.stream.writeRaw(await new HandSealer(keys).seal(JSON.stringify([chat("it's me")])));
      const frames = await client.plainFramesUntilClosed();
      assert.deepEqual(frames.map((f) => [f.type, f.code]), [["error", "handshake_failed"]]);
      await bobLogged(bob, handshakeRefused(client, "handshake_failed"));
    }
    await assertBobServesAlice(cast, "still there after forged confirms?");
    assert.ok(!bob.all("message").some((e) => e.text === "it's me"), "the forger was never heard");
    assert.ok(
      shownFrom(bob, alice.id).every((text) => text.startsWith("still there")),
      "only alice's own messages are shown as hers",
    );
  });
});

Deno.test({
  name: "a well-sealed frame that is not a JSON array is answered with a sealed error",
  async fn() {
    await using cast = await startCast();
    const mallory = await Identity.generate();
    await using client = await LinkClient.connect(cast.bob.listen);
    const sealer = new HandSealer(await dialByHand(client, cast.bob.id, { signWith: mallory }));
    client.stream.writeRaw(await sealer.seal(JSON.stringify(chat("one object, not a batch"))));
    const batches = await sealer.batchesUntilClosed(client) as LinkFrame[][];
    assert.deepEqual(batches.map((batch) => batch.map((m) => [m.type, m.code])), [[[
      "error",
      "invalid_message",
    ]]]);
  },
});

Deno.test({
  name: "a handshake that times out is refused with a plaintext timeout error frame",
  async fn() {
    await using cast = await startCast();
    await using mute = await LinkClient.connect(cast.bob.listen);
    await using stalled = await LinkClient.connect(cast.bob.listen);
    await stalled.sendPlain({
      type: "link_hello",
      protocol: LINK_PROTOCOL_VERSION,
      from: (await Identity.generate()).id,
      to: cast.bob.id,
      ephemeral: (await newEphemeralKey()).publicKey.toBase64(),
    });
    const [muteFrames, stalledFrames] = await Promise.all([
      mute.plainFramesUntilClosed(),
      stalled.plainFramesUntilClosed(),
    ]);
    assert.deepEqual(muteFrames.map((f) => [f.type, f.code]), [["error", "timeout"]]);
    assert.deepEqual(
      stalledFrames.map((f) => [f.type, f.code]),
      [["link_accept", undefined], ["error", "timeout"]],
    );
  },
});
