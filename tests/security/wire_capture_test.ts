/**
 * What an eavesdropper on the wire sees of a chat: two real peers talk
 * through a relay that records every byte in both directions. The handshake
 * is in the clear; nothing the users wrote may be.
 */

import assert from "node:assert/strict";
import { FlakyProxy } from "../../demo/mod.ts";
import { FrameDecoder, parseHostPort } from "../../protocol/mod.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { knownPeers, waitUntil } from "../support/wait.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/** True if `needle` occurs in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

/**
 * The ways `text` could show up on the wire if a layer encoded instead of
 * encrypting it: UTF-8, JSON with escapes, hex, and base64 at each of the
 * three byte alignments (only the characters that depend on `text` alone).
 */
function encodings(text: string): { form: string; bytes: Uint8Array }[] {
  const utf8 = encoder.encode(text);
  const hex = [...utf8].map((b) => b.toString(16).padStart(2, "0")).join("");
  const escaped = JSON.stringify(text).slice(1, -1)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const forms = [
    { form: "UTF-8", bytes: utf8 },
    { form: "JSON \\u escapes", bytes: encoder.encode(escaped) },
    { form: "hex", bytes: encoder.encode(hex) },
    { form: "HEX", bytes: encoder.encode(hex.toUpperCase()) },
  ];
  for (const shift of [0, 1, 2]) {
    const base64 = concat([new Uint8Array(shift), utf8]).toBase64();
    forms.push({
      form: `base64 shifted by ${shift}`,
      bytes: encoder.encode(base64.slice(shift === 0 ? 0 : 4, -4)),
    });
  }
  return forms;
}

/** The frame payloads of one direction of a capture. */
function framesOf(chunks: Uint8Array[]): Uint8Array[] {
  return new FrameDecoder().push(concat(chunks));
}

function parsesAsJson(payload: Uint8Array): boolean {
  try {
    JSON.parse(decoder.decode(payload));
    return true;
  } catch {
    return false;
  }
}

Deno.test("a chat captured on the wire shows its handshake but none of its messages", async () => {
  await using dir = await tempDir();
  await using registry = await RegistryProcess.start(["--no-dashboard"]);
  // Alice reaches bob only through the recording relay (bob advertises its port).
  await using relay = new FlakyProxy({ hostname: "127.0.0.1", port: 9 }, { record: true });
  await using bob = await PeerProcess.start("bob", {
    registry: registry.address,
    dataDir: `${dir.path}/b`,
    args: ["--advertise", `127.0.0.1:${relay.address.port}`],
  });
  relay.retarget(parseHostPort(bob.listen));
  // Direct links only, so the chat crosses the recording relay (a relayed
  // link is captured by tests/lab/nat_relay_test.ts).
  await using alice = await PeerProcess.start("alice", {
    registry: registry.address,
    dataDir: `${dir.path}/a`,
    args: ["--link-paths", "direct"],
  });
  await waitUntil(() => knownPeers(alice).includes("bob"), "alice to see bob");

  const marker = "SECRET-MARKER-123";
  const texts = [
    `attack at dawn 🌅 ${marker}`,
    "the vault code is 4-8-15-16-23-42",
    "Ünïcödé ✓ 秘密のメッセージ — ne le dis à personne",
    'quotes " and \\ backslashes and\nnewlines',
  ];
  const reply = "roger, dawn it is 🌄 — bring the maps and the lanterns, REPLY-MARKER-456";

  /** Sends `text` from `from` to `to` and waits until it is delivered. */
  const chat = async (from: PeerProcess, to: PeerProcess, text: string) => {
    const [sent, received] = [from.mark(), to.mark()];
    await from.command({ cmd: "send", to: to.name, text });
    const shown = await to.waitFor("message", { test: (e) => e.text === text, after: received });
    await from.waitFor("delivered", { test: (e) => e.id === shown.id, after: sent });
  };
  for (const text of texts) await chat(alice, bob, text);
  await chat(bob, alice, reply);

  // Cut the link, then say the first thing again: it travels on a new link.
  assert.ok(relay.cut() >= 1, "alice's link ran through the relay");
  await chat(alice, bob, texts[0]);
  assert.equal(bob.all("message").filter((e) => e.text === texts[0]).length, 2);

  const wire = concat(relay.captures.flatMap((c) => [...c.upstream, ...c.downstream]));
  assert.ok(contains(wire, encoder.encode("link_hello")), "the capture saw the handshake");
  assert.ok(contains(wire, encoder.encode(alice.id)), "and who dialled whom");
  for (const text of [...texts, reply, marker, "REPLY-MARKER-456", "秘密のメッセージ"]) {
    for (const { form, bytes } of encodings(text)) {
      assert.ok(!contains(wire, bytes), `${JSON.stringify(text)} is on the wire as ${form}`);
    }
  }

  // Every link: three handshake messages in JSON, then only opaque frames.
  const links = relay.captures.map((capture) => ({
    up: framesOf(capture.upstream),
    down: framesOf(capture.downstream),
  })).filter((link) => link.up.length > 2 && link.down.length > 1);
  assert.ok(links.length >= 2, `two links carried chat through the relay, got ${links.length}`);
  for (const { up, down } of links) {
    const [hello, confirm] = up.map((f) => parsesAsJson(f) ? JSON.parse(decoder.decode(f)) : null);
    const accept = JSON.parse(decoder.decode(down[0]));
    assert.deepEqual([hello?.type, accept.type, confirm?.type], [
      "link_hello",
      "link_accept",
      "link_confirm",
    ]);
    assert.equal(hello.from, alice.id);
    const sealed = [...up.slice(2), ...down.slice(1)];
    assert.ok(sealed.every((frame) => !parsesAsJson(frame)), "no sealed frame is readable JSON");
  }

  // Bob's reply came back over alice's link: no batch of acks is as big as
  // the smallest sealed frame that could hold it.
  const replyFrameBytes = 4 + 16 + encoder.encode(JSON.stringify([
    { type: "chat", id: "x".repeat(36), text: reply, sentAt: 0, broadcast: false },
  ])).length;
  assert.ok(
    links[0].down.slice(1).some((frame) => frame.length + 4 >= replyFrameBytes),
    "bob's reply crossed the relay",
  );

  // Fresh keys per link. Every sealed batch starts with the same plaintext,
  // `[{"type":"`; with a key and counter nonce reused, the first frames of
  // two links would start with the same ciphertext bytes too.
  const [first, second] = links;
  const helloOf = (link: typeof first) => JSON.parse(decoder.decode(link.up[0]));
  assert.notEqual(helloOf(first).ephemeral, helloOf(second).ephemeral, "new dialler key");
  assert.notEqual(
    JSON.parse(decoder.decode(first.down[0])).ephemeral,
    JSON.parse(decoder.decode(second.down[0])).ephemeral,
    "new listener key",
  );
  assert.notDeepEqual(
    first.up[2].subarray(0, 10),
    second.up[2].subarray(0, 10),
    "the first sealed frames of two links differ",
  );
});
