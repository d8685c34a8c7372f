import assert from "node:assert/strict";
import { ProtocolError } from "../../protocol/errors.ts";
import { parsePeerToRegistry, parseRegistryToPeer } from "../../protocol/registry_messages.ts";
import { registrationTranscript, signedRegistration } from "../../protocol/registration.ts";
import { Identity } from "../../peer/store/identity_file.ts";
import {
  MAX_TEXT_LENGTH,
  parseLinkHandshake,
  parseLinkMessage,
} from "../../protocol/link_messages.ts";
import { signedPart, transcriptBytes } from "../../protocol/link_crypto.ts";
import { MAX_NAME_LENGTH, nameKey, nameProblem, normalizeName } from "../../protocol/names.ts";
import { formatHostPort, isLoopback, parseHostPort } from "../../protocol/address.ts";
import { MESSAGE_ID_PATTERN, newMessageId } from "../../protocol/message_id.ts";
import {
  base32,
  PEER_ID_PATTERN,
  peerIdFromPublicKey,
  signedTranscript,
  verifySignature,
} from "../../protocol/identity.ts";

const ALICE = "a".repeat(52);
const BOB = "b".repeat(46) + "234567";
const KEY = new Uint8Array(32).fill(1).toBase64(); // 44 characters
const NONCE = new Uint8Array(32).fill(2).toBase64();
const SIGNATURE = new Uint8Array(64).fill(3).toBase64(); // 88 characters
const MESSAGE_ID = "0190a4b2-7c3d-7abc-8def-0123456789ab";

function invalid(message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    assert.equal(error.code, "invalid_message", error.message);
    assert.match(error.message, message);
    return true;
  };
}

function unknownType(error: unknown) {
  assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
  assert.equal(error.code, "unknown_type");
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// ---- peer → registry ------------------------------------------------------------------

const validPeerToRegistry = [
  { type: "hello", protocol: 1, client: "p2pchat/0.1.0" },
  {
    type: "register",
    id: ALICE,
    name: "alice",
    publicKey: KEY,
    listenPort: 40000,
    advertise: "203.0.113.5:7000",
    registry: "198.51.100.7:7070",
    epoch: "mfx1-0a1b2c",
    reconnects: 2,
    client: "p2pchat/0.1.0",
    signature: SIGNATURE,
  },
  {
    type: "register",
    id: ALICE,
    name: "Zoë",
    publicKey: KEY,
    listenPort: 65535,
    registry: "[::1]:7070",
    epoch: "e",
    reconnects: 0,
    client: "c",
    signature: SIGNATURE,
  },
  { type: "heartbeat", seq: 0 },
  { type: "snapshot_request" },
  { type: "bye" },
  { type: "error", code: "name_taken", message: "Name alice is taken" },
];

Deno.test("peer-to-registry messages round-trip and lose unknown extra fields", () => {
  for (const message of validPeerToRegistry) {
    const parsed = parsePeerToRegistry({ ...message, extra: "dropped" }, "");
    assert.deepEqual(parsed, message, `${message.type} did not round-trip`);
    assert.equal(Object.hasOwn(parsed, "extra"), false);
    assert.deepEqual(parsePeerToRegistry(JSON.parse(JSON.stringify(parsed)), ""), message);
  }
});

Deno.test("register treats a null advertise as absent", () => {
  const parsed = parsePeerToRegistry({ ...validPeerToRegistry[1], advertise: null }, "");
  assert.equal(Object.hasOwn(parsed, "advertise"), false);
});

Deno.test("peer-to-registry validation names each bad field and the bad value", async (t) => {
  const register = validPeerToRegistry[1];
  const cases: [string, unknown, RegExp][] = [
    [
      "a short peer ID",
      { ...register, id: "abc" },
      /^Field "id" must be a 52-character peer ID, got "abc"$/,
    ],
    [
      "an upper-case peer ID",
      { ...register, id: ALICE.toUpperCase() },
      /^Field "id" must be a 52-character peer ID, got a 52-character string$/,
    ],
    ["an empty name", { ...register, name: "" }, /^Field "name" must be a peer name, got ""$/],
    [
      "a numeric name",
      { ...register, name: 42 },
      /^Field "name" must be a peer name, got 42$/,
    ],
    [
      "a public key of the wrong length",
      { ...register, publicKey: new Uint8Array(30).toBase64() },
      /^Field "publicKey" must be 32 bytes in base64, got "A{40}"$/,
    ],
    [
      "a public key that is not base64",
      { ...register, publicKey: "!".repeat(44) },
      /^Field "publicKey" must be 32 bytes in base64/,
    ],
    [
      "listen port 0",
      { ...register, listenPort: 0 },
      /^Field "listenPort" must be an integer from 1 to 65535, got 0$/,
    ],
    [
      "listen port 65536",
      { ...register, listenPort: 65536 },
      /^Field "listenPort" must be an integer from 1 to 65535, got 65536$/,
    ],
    [
      "a fractional listen port",
      { ...register, listenPort: 80.5 },
      /^Field "listenPort" must be an integer from 1 to 65535, got 80.5$/,
    ],
    [
      "a listen port as text",
      { ...register, listenPort: "80" },
      /^Field "listenPort" must be an integer from 1 to 65535, got "80"$/,
    ],
    [
      "an advertise address too short",
      { ...register, advertise: ":1" },
      /^Field "advertise" must be an address HOST:PORT, got ":1"$/,
    ],
    [
      "negative reconnects",
      { ...register, reconnects: -1 },
      /^Field "reconnects" must be an integer from 0 to 9007199254740991, got -1$/,
    ],
    [
      "a register that does not name its registry",
      { ...register, registry: undefined },
      /^Field "registry" must be an address HOST:PORT, got nothing$/,
    ],
    [
      "a missing signature",
      { ...register, signature: undefined },
      /^Field "signature" must be 64 bytes in base64, got nothing$/,
    ],
    [
      "a heartbeat seq that is null",
      { type: "heartbeat", seq: null },
      /^Field "seq" must be an integer from 0 to \d+, got null$/,
    ],
    [
      "a hello with an array as client",
      { type: "hello", protocol: 1, client: ["x"] },
      /^Field "client" must be a string of 1–64 characters, got an array$/,
    ],
    [
      "an error message of an object",
      { type: "error", code: "timeout", message: {} },
      /^Field "message" must be a string of 0–1024 characters, got an object$/,
    ],
  ];
  for (const [what, message, expected] of cases) {
    await t.step(`refuses ${what}`, () => {
      assert.throws(() => parsePeerToRegistry(message, ""), invalid(expected));
    });
  }
});

Deno.test("peer-to-registry validation refuses registry-only and unknown types", () => {
  assert.throws(() => parsePeerToRegistry({ type: "welcome" }, ""), unknownType);
  assert.throws(() => parsePeerToRegistry({ type: "constructor" }, ""), unknownType);
  assert.throws(
    () => parsePeerToRegistry(null, ""),
    invalid(/^A peer-to-registry message must be a JSON object$/),
  );
  assert.throws(
    () => parsePeerToRegistry({ seq: 1 }, ""),
    invalid(/^Field "type" must be a string, got nothing$/),
  );
});

Deno.test({
  name: "base64 fields refuse text that does not decode to exactly the stated number of bytes",
  // 44 characters also fit 31 or 33 bytes, and a misplaced "===" would make
  // Uint8Array.fromBase64 throw later, outside the protocol's error handling.
  fn() {
    const register = validPeerToRegistry[1];
    const auth = {
      type: "link_accept",
      id: ALICE,
      publicKey: KEY,
      ephemeral: NONCE,
      signature: SIGNATURE,
      mac: NONCE,
    };
    const notThirtyTwo = [
      new Uint8Array(31).toBase64(), // "AAAA…AA==", 44 characters
      new Uint8Array(33).toBase64(), // "AAAA…AAAA", 44 characters
      "A".repeat(41) + "===", // 44 characters, not base64 at all
    ];
    for (const bad of notThirtyTwo) {
      assert.throws(
        () => parsePeerToRegistry({ ...register, publicKey: bad }, ""),
        invalid(/^Field "publicKey" must be 32 bytes in base64/),
      );
      assert.throws(
        () => parseLinkHandshake({ ...auth, publicKey: bad }, ""),
        invalid(/^Field "publicKey" must be 32 bytes in base64/),
      );
      assert.throws(
        () => parseLinkHandshake({ ...auth, ephemeral: bad }, ""),
        invalid(/^Field "ephemeral" must be 32 bytes in base64/),
      );
    }
    const notSixtyFour = [new Uint8Array(65).toBase64().slice(0, 88), "A".repeat(85) + "==="];
    for (const bad of notSixtyFour) {
      assert.equal(bad.length, 88);
      assert.throws(
        () => parsePeerToRegistry({ ...register, signature: bad }, ""),
        invalid(/^Field "signature" must be 64 bytes in base64/),
      );
      assert.throws(
        () => parseLinkHandshake({ ...auth, signature: bad }, ""),
        invalid(/^Field "signature" must be 64 bytes in base64/),
      );
    }
  },
});

// ---- registry → peer ------------------------------------------------------------------

const peerA = { id: ALICE, name: "alice", address: "127.0.0.1:40000" };
const peerB = { id: BOB, name: "Даша", address: "[::1]:40001" };

const validRegistryToPeer = [
  {
    type: "challenge",
    protocol: 1,
    nonce: NONCE,
    epoch: "e-01_x",
    registry: "p2pchat/0.1.0",
  },
  {
    type: "welcome",
    id: ALICE,
    name: "alice",
    address: "127.0.0.1:40000",
    epoch: "e1",
    heartbeatMs: 2000,
    evictAfter: 3,
  },
  { type: "snapshot", epoch: "e1", seq: 0, peers: [peerA, peerB], more: false },
  { type: "snapshot", epoch: "e1", seq: 5, peers: [], more: true },
  {
    type: "peers_delta",
    epoch: "e1",
    seq: 6,
    changes: [
      { op: "joined", peer: peerA },
      { op: "updated", peer: peerB },
      { op: "left", id: ALICE, reason: "timeout" },
    ],
  },
  { type: "heartbeat_ack", seq: 9 },
  { type: "bye", reason: "shutdown" },
  { type: "bye", reason: "kicked" },
  { type: "error", code: "registry_full", message: "" },
];

Deno.test("registry-to-peer messages round-trip and lose unknown extra fields", () => {
  for (const message of validRegistryToPeer) {
    assert.deepEqual(parseRegistryToPeer({ ...message, future: [1, 2] }, ""), message);
  }
  const nested = parseRegistryToPeer({
    type: "peers_delta",
    epoch: "e1",
    seq: 1,
    changes: [
      { op: "joined", peer: { ...peerA, avatar: "x.png" }, note: 1 },
      { op: "left", id: BOB, reason: "bye", peer: peerB },
    ],
  }, "");
  assert.deepEqual(nested, {
    type: "peers_delta",
    epoch: "e1",
    seq: 1,
    changes: [{ op: "joined", peer: peerA }, { op: "left", id: BOB, reason: "bye" }],
  });
});

Deno.test("registry-to-peer validation names each bad field with its path", async (t) => {
  const [challenge, welcome, snapshot, , delta] = validRegistryToPeer;
  const cases: [string, unknown, RegExp][] = [
    [
      "an epoch with a space",
      { ...challenge, epoch: "e 1" },
      /^Field "epoch" must be an epoch, got "e 1"$/,
    ],
    [
      "a nonce of the wrong size",
      { ...challenge, nonce: "AAAA" },
      /^Field "nonce" must be 32 bytes in base64, got "AAAA"$/,
    ],
    [
      "a heartbeat interval under 10 ms",
      { ...welcome, heartbeatMs: 9 },
      /^Field "heartbeatMs" must be an integer from 10 to 3600000, got 9$/,
    ],
    [
      "evictAfter 0",
      { ...welcome, evictAfter: 0 },
      /^Field "evictAfter" must be an integer from 1 to 1000, got 0$/,
    ],
    [
      "a snapshot peer with a bad ID",
      { ...snapshot, peers: [peerA, { ...peerB, id: "nope" }] },
      /^Field "peers\[1\]\.id" must be a 52-character peer ID, got "nope"$/,
    ],
    [
      "a snapshot peer without an address",
      { ...snapshot, peers: [{ id: ALICE, name: "alice" }] },
      /^Field "peers\[0\]\.address" must be an address HOST:PORT, got nothing$/,
    ],
    [
      "a snapshot whose more flag is a string",
      { ...snapshot, more: "false" },
      /^Field "more" must be true or false, got "false"$/,
    ],
    [
      "a snapshot whose peers are an object",
      { ...snapshot, peers: {} },
      /^Field "peers" must be an array of at most 2000 items, got an object$/,
    ],
    [
      "a snapshot with too many peers in one frame",
      { ...snapshot, peers: Array(2001).fill(peerA) },
      /^Field "peers" must be an array of at most 2000 items, got an array$/,
    ],
    [
      "a delta leave with an unknown reason",
      { ...delta, changes: [{ op: "left", id: ALICE, reason: "vanished" }] },
      /^Field "changes\[0\]\.reason" must be "bye" or "timeout" or "kicked", got "vanished"$/,
    ],
    [
      "a delta join without a peer",
      { ...delta, changes: [{ op: "joined" }] },
      /^Field "changes\[0\]\.peer" must be an object, got nothing$/,
    ],
    [
      "a delta change that is null",
      { ...delta, changes: [null] },
      /^Field "changes\[0\](\.op)?" must be .*, got (null|nothing)$/,
    ],
    [
      "a negative delta seq",
      { ...delta, seq: -1 },
      /^Field "seq" must be an integer from 0 to \d+, got -1$/,
    ],
    [
      "a bye with an unknown reason",
      { type: "bye", reason: "bored" },
      /^Field "reason" must be "shutdown" or "kicked", got "bored"$/,
    ],
  ];
  for (const [what, message, expected] of cases) {
    await t.step(`refuses ${what}`, () => {
      assert.throws(() => parseRegistryToPeer(message, ""), invalid(expected));
    });
  }
  assert.throws(() => parseRegistryToPeer({ type: "register" }, ""), unknownType);
});

Deno.test({
  name: "a delta change with an unknown op is refused naming all three valid ops",
  fn() {
    assert.throws(
      () =>
        parseRegistryToPeer({
          type: "peers_delta",
          epoch: "e1",
          seq: 1,
          changes: [{ op: "gone", id: ALICE, reason: "bye" }],
        }, ""),
      invalid(/^Field "changes\[0\]\.op" must be .*"left".*, got "gone"$/),
    );
  },
});

// ---- direct links ----------------------------------------------------------------------

const validHandshakeMessages = [
  { type: "link_hello", protocol: 2, from: ALICE, to: BOB, ephemeral: NONCE },
  {
    type: "link_accept",
    id: BOB,
    publicKey: KEY,
    ephemeral: NONCE,
    signature: SIGNATURE,
    mac: KEY,
  },
  { type: "link_confirm", publicKey: KEY, signature: SIGNATURE, mac: KEY },
  { type: "error", code: "handshake_failed", message: "bad signature" },
];

const validLinkMessages = [
  {
    type: "chat",
    id: MESSAGE_ID,
    text: "hi @bob: ünïcödé ✓;",
    sentAt: 1_700_000_000_000,
    broadcast: false,
  },
  { type: "chat", id: MESSAGE_ID, text: "x".repeat(MAX_TEXT_LENGTH), sentAt: 0, broadcast: true },
  { type: "ack", id: MESSAGE_ID },
  { type: "receipt", id: MESSAGE_ID },
  { type: "receipt_ack", id: MESSAGE_ID },
  { type: "bye" },
  { type: "error", code: "bad_ciphertext", message: "tampered" },
];

Deno.test("link messages round-trip and lose unknown extra fields", () => {
  for (const message of validHandshakeMessages) {
    assert.deepEqual(parseLinkHandshake({ ...message, hop: 3 }, ""), message);
  }
  for (const message of validLinkMessages) {
    assert.deepEqual(parseLinkMessage({ ...message, hop: 3 }, ""), message);
  }
});

Deno.test("handshake messages are refused on an established link and vice versa", () => {
  for (const message of validHandshakeMessages.slice(0, 3)) {
    assert.throws(() => parseLinkMessage(message, ""), unknownType);
  }
  for (const message of validLinkMessages.slice(0, 5)) {
    assert.throws(() => parseLinkHandshake(message, ""), unknownType);
  }
});

Deno.test("link validation names each bad field", async (t) => {
  const [hello, accept] = validHandshakeMessages;
  const handshakeCases: [string, unknown, RegExp][] = [
    [
      "a hello to a bad ID",
      { ...hello, to: "bob" },
      /^Field "to" must be a 52-character peer ID, got "bob"$/,
    ],
    [
      "a hello with a short ephemeral key",
      { ...hello, ephemeral: "AAAA" },
      /^Field "ephemeral" must be 32 bytes in base64, got "AAAA"$/,
    ],
    [
      "an accept with a 63-byte signature",
      { ...accept, signature: new Uint8Array(63).toBase64() },
      /^Field "signature" must be 64 bytes in base64, got a 84-character string$/,
    ],
  ];
  for (const [what, message, expected] of handshakeCases) {
    await t.step(`refuses ${what}`, () => {
      assert.throws(() => parseLinkHandshake(message, ""), invalid(expected));
    });
  }
  const [chat, , ack] = validLinkMessages;
  const cases: [string, unknown, RegExp][] = [
    [
      "a chat with an empty text",
      { ...chat, text: "" },
      new RegExp(`^Field "text" must be a string of 1–${MAX_TEXT_LENGTH} characters, got ""$`),
    ],
    [
      "a chat with text one character too long",
      { ...chat, text: "x".repeat(MAX_TEXT_LENGTH + 1) },
      new RegExp(
        `^Field "text" must be a string of 1–${MAX_TEXT_LENGTH} characters, ` +
          `got a ${MAX_TEXT_LENGTH + 1}-character string$`,
      ),
    ],
    [
      "a chat with a UUIDv4 id",
      { ...chat, id: "0190a4b2-7c3d-4abc-8def-0123456789ab" },
      /^Field "id" must be a UUIDv7 message ID, got "0190a4b2-7c3d-4abc-8def-0123456789ab"$/,
    ],
    [
      "a chat with a negative sentAt",
      { ...chat, sentAt: -1 },
      /^Field "sentAt" must be an integer from 0 to 8640000000000000, got -1$/,
    ],
    [
      "a chat without broadcast",
      { ...chat, broadcast: undefined },
      /^Field "broadcast" must be true or false, got nothing$/,
    ],
    [
      "an ack with an upper-case id",
      { ...ack, id: MESSAGE_ID.toUpperCase() },
      /^Field "id" must be a UUIDv7 message ID/,
    ],
  ];
  for (const [what, message, expected] of cases) {
    await t.step(`refuses ${what}`, () => {
      assert.throws(() => parseLinkMessage(message, ""), invalid(expected));
    });
  }
  assert.throws(() => parseLinkMessage({ type: "register" }, ""), unknownType);
});

// ---- transcripts -------------------------------------------------------------------------

Deno.test("the registration transcript changes when any signed field changes", () => {
  const base = {
    id: ALICE,
    name: "alice",
    listenPort: 4000,
    advertise: "1.2.3.4:5",
    registry: "127.0.0.1:7070",
    epoch: "e1",
  };
  const reference = registrationTranscript(NONCE, base);
  assert.ok(sameBytes(reference, registrationTranscript(NONCE, { ...base })));
  const variants = [
    registrationTranscript(new Uint8Array(32).fill(9).toBase64(), base),
    registrationTranscript(NONCE, { ...base, id: BOB }),
    registrationTranscript(NONCE, { ...base, name: "Alice" }),
    registrationTranscript(NONCE, { ...base, listenPort: 4001 }),
    registrationTranscript(NONCE, { ...base, advertise: "1.2.3.4:6" }),
    registrationTranscript(NONCE, { ...base, advertise: undefined }),
    registrationTranscript(NONCE, { ...base, registry: "127.0.0.1:7071" }),
    registrationTranscript(NONCE, { ...base, epoch: "e2" }),
  ];
  for (const [i, variant] of variants.entries()) {
    assert.ok(!sameBytes(reference, variant), `variant ${i} signs the same bytes`);
  }
});

Deno.test("signedRegistration() signs the transcript and gives a register message the registry accepts", async () => {
  const identity = await Identity.generate();
  const challenge = { nonce: NONCE, epoch: "e1" };
  const registry = "127.0.0.1:7070";
  const message = await signedRegistration(identity, challenge, {
    registry,
    name: "alice",
    listenPort: 4000,
  });
  assert.equal(message.registry, registry);
  assert.equal(message.epoch, "e1");
  assert.deepEqual(parsePeerToRegistry(structuredClone(message), ""), message);
  assert.equal(message.id, identity.id);
  assert.equal(message.publicKey, identity.publicKeyBase64);
  assert.equal(message.reconnects, 0);
  assert.ok(!("advertise" in message), "no advertise key when none is given");
  const signed = registrationTranscript(NONCE, message);
  assert.ok(
    await verifySignature(identity.publicKey, Uint8Array.fromBase64(message.signature), signed),
  );
  const forwarded = await signedRegistration(identity, challenge, {
    registry,
    name: "alice",
    listenPort: 4000,
    advertise: "1.2.3.4:5",
    reconnects: 2,
  });
  assert.equal(forwarded.advertise, "1.2.3.4:5");
  assert.equal(forwarded.reconnects, 2);
  assert.notEqual(forwarded.signature, message.signature, "advertise is signed too");
});

Deno.test("the link transcript changes with either ID, either ephemeral key and the signing role", () => {
  const parts = {
    diallerId: ALICE,
    listenerId: BOB,
    diallerEphemeral: new Uint8Array(32).fill(1),
    listenerEphemeral: new Uint8Array(32).fill(2),
  };
  const reference = transcriptBytes(parts);
  const variants = [
    transcriptBytes({ ...parts, diallerId: BOB, listenerId: ALICE }),
    transcriptBytes({ ...parts, diallerEphemeral: new Uint8Array(32).fill(3) }),
    transcriptBytes({ ...parts, listenerEphemeral: new Uint8Array(32).fill(3) }),
  ];
  for (const [i, variant] of variants.entries()) {
    assert.ok(!sameBytes(reference, variant), `variant ${i} gives the same transcript`);
  }
  // A signature made in one role cannot pass for the other.
  assert.ok(!sameBytes(signedPart("listener", reference), signedPart("dialler", reference)));
});

Deno.test("signed transcripts keep part boundaries, so moving a character between parts shows", () => {
  assert.ok(!sameBytes(signedTranscript("l", "ab", "c"), signedTranscript("l", "a", "bc")));
  assert.ok(!sameBytes(signedTranscript("l", "a"), signedTranscript("la")));
});

// ---- names -----------------------------------------------------------------------------

Deno.test("names that differ only in case or width share one key", () => {
  assert.equal(nameKey("Alice"), nameKey("alice"));
  assert.equal(nameKey("ａｌｉｃｅ"), nameKey("alice"));
  assert.equal(nameKey("ALICE"), "alice");
  assert.notEqual(nameKey("alice"), nameKey("alicia"));
  // Composed and decomposed spellings are one name too.
  assert.equal(nameKey("Zoe\u0308"), nameKey("Zoë"));
  assert.equal(normalizeName("Zoe\u0308"), "Zoë");
});

Deno.test("names in any script's letters and digits are allowed", () => {
  for (const name of ["alice", "Zoë", "Даша", "李雷", "bob_2", "a-b.c", "x", "٣", "Zoe\u0308"]) {
    assert.equal(nameProblem(name), null, `${name} was refused`);
  }
});

Deno.test("names that mix scripts, as look-alikes do, are refused; one script (or CJK with Latin) is fine", () => {
  for (
    const [name, scripts] of [
      ["\u0430lice", "Cyrillic and Latin"],
      ["paypa\u0406", "Latin and Cyrillic"],
      ["\u0391pple", "Greek and Latin"],
    ]
  ) {
    assert.equal(
      nameProblem(name),
      `Name ${
        JSON.stringify(name)
      } mixes ${scripts} letters, as look-alikes of other names do; use letters of one script`,
    );
  }
  for (
    const name of ["алиса", "Ζεύς", "山田taro", "やまだ山田", "김철수", "ａｌｉｃｅ", "café", "a_1"]
  ) {
    assert.equal(nameProblem(name), null, `${name} was refused`);
  }
});

Deno.test("names with spaces, separators or path tricks are refused with the rule", () => {
  for (const name of ["a b", "@bob", "bob@", "a:b", "a;b", "a/b", "a\\b", "\u0308a", "bob\n"]) {
    const problem = nameProblem(name);
    assert.ok(problem !== null, `${JSON.stringify(name)} was allowed`);
    assert.equal(
      problem,
      `Name ${
        JSON.stringify(name)
      } is not allowed; use 1–32 letters of one script, digits, "_", "-" or "." (not "." or "..")`,
    );
  }
  assert.match(nameProblem(".")!, /^Name "\." is not allowed/);
  assert.match(nameProblem("..")!, /^Name "\.\." is not allowed/);
  assert.equal(nameProblem("..."), null);
  assert.match(nameProblem("")!, /^Name is empty; use /);
});

Deno.test("names may be 32 characters long, counted in code points, but not 33", () => {
  assert.equal(MAX_NAME_LENGTH, 32);
  assert.equal(nameProblem("a".repeat(32)), null);
  assert.match(nameProblem("a".repeat(33))!, /^Name is 33 characters long; use /);
  // U+20000 is one letter but two UTF-16 code units.
  const wide = "\u{20000}";
  assert.equal(nameProblem(wide.repeat(32)), null);
  assert.match(nameProblem(wide.repeat(33))!, /^Name is 33 characters long/);
  assert.equal(nameProblem("é".repeat(32)), null);
});

// ---- addresses ---------------------------------------------------------------------------

Deno.test("addresses parse as host and port, IPv6 in brackets", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:7070"), { hostname: "127.0.0.1", port: 7070 });
  assert.deepEqual(parseHostPort("example.org:0"), { hostname: "example.org", port: 0 });
  assert.deepEqual(parseHostPort("[::1]:7070"), { hostname: "::1", port: 7070 });
  assert.deepEqual(parseHostPort("[2001:db8::5]:65535"), { hostname: "2001:db8::5", port: 65535 });
  assert.deepEqual(parseHostPort(":7070", "0.0.0.0"), { hostname: "0.0.0.0", port: 7070 });
  assert.deepEqual(parseHostPort("host:7070", "0.0.0.0"), { hostname: "host", port: 7070 });
});

Deno.test("addresses without a valid port or host are refused quoting the input", () => {
  for (
    const text of [
      "localhost",
      "host:",
      "host:65536",
      "host:99999",
      "host:-1",
      "host:80x",
      "host:123456",
      ":7070",
      "::1:7070",
      "[::1]",
      "[host]:80",
      "a b:80",
      "",
      "host:7070 ",
    ]
  ) {
    assert.throws(
      () => parseHostPort(text),
      (error: unknown) => {
        assert.ok(error instanceof RangeError, `${JSON.stringify(text)}: ${error}`);
        assert.equal(
          error.message,
          `Invalid address ${JSON.stringify(text)}: expected HOST:PORT with a port from 0 to 65535`,
        );
        return true;
      },
    );
  }
});

Deno.test("addresses format back to the text they were parsed from", () => {
  for (const text of ["127.0.0.1:7070", "[::1]:7070", "example.org:1", "[fe80::1]:0"]) {
    assert.equal(formatHostPort(parseHostPort(text)), text);
  }
  assert.equal(formatHostPort({ hostname: "::", port: 80 }), "[::]:80");
});

Deno.test("loopback addresses are recognised", () => {
  assert.equal(isLoopback("127.0.0.1"), true);
  assert.equal(isLoopback("127.9.9.9"), true);
  assert.equal(isLoopback("::1"), true);
  assert.equal(isLoopback("localhost"), true);
  assert.equal(isLoopback("10.0.0.1"), false);
  assert.equal(isLoopback("1127.0.0.1"), false);
});

// ---- message IDs -----------------------------------------------------------------------

Deno.test("message IDs made in a tight loop are valid UUIDv7, unique and strictly increasing", () => {
  const ids = Array.from({ length: 10_000 }, () => newMessageId());
  for (const id of ids) assert.match(id, MESSAGE_ID_PATTERN);
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i - 1] < ids[i], `id ${i} (${ids[i]}) does not sort after ${ids[i - 1]}`);
  }
});

Deno.test("message IDs keep increasing when the clock steps back", () => {
  const before = newMessageId();
  const after = newMessageId(Date.now() - 60_000);
  assert.match(after, MESSAGE_ID_PATTERN);
  assert.ok(before < after, `${after} does not sort after ${before}`);
});

Deno.test("message IDs carry their creation time in the first 48 bits", () => {
  const now = Date.now() + 1;
  const id = newMessageId(now);
  const millis = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  assert.ok(millis >= now && millis <= Date.now() + 1000, `${millis} vs ${now}`);
});

// ---- identity -----------------------------------------------------------------------------

Deno.test("base32 matches the RFC 4648 test vectors, lower-case and unpadded", () => {
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "my"],
    ["fo", "mzxq"],
    ["foo", "mzxw6"],
    ["foob", "mzxw6yq"],
    ["fooba", "mzxw6ytb"],
    ["foobar", "mzxw6ytboi"],
  ];
  const encoder = new TextEncoder();
  for (const [input, expected] of vectors) assert.equal(base32(encoder.encode(input)), expected);
  assert.equal(base32(new Uint8Array(32).fill(255)), "7".repeat(51) + "q");
});

Deno.test("a peer ID is the 52-character base32 SHA-256 of the public key", async () => {
  const key = new Uint8Array(32).fill(1);
  const id = await peerIdFromPublicKey(key);
  assert.match(id, PEER_ID_PATTERN);
  assert.equal(id, await peerIdFromPublicKey(new Uint8Array(32).fill(1)));
  assert.notEqual(id, await peerIdFromPublicKey(new Uint8Array(32).fill(2)));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", key));
  assert.equal(id, base32(digest));
});

Deno.test("verifySignature accepts a real signature and refuses tampering", async () => {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const data = new TextEncoder().encode("register alice");
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", pair.privateKey, data));

  assert.equal(await verifySignature(publicKey, signature, data), true);

  const tamperedData = data.slice();
  tamperedData[0] ^= 1;
  assert.equal(await verifySignature(publicKey, signature, tamperedData), false);
  const tamperedSignature = signature.slice();
  tamperedSignature[10] ^= 1;
  assert.equal(await verifySignature(publicKey, tamperedSignature, data), false);
  const otherKey = publicKey.slice();
  otherKey[0] ^= 1;
  assert.equal(await verifySignature(otherKey, signature, data), false);
  assert.equal(await verifySignature(publicKey.subarray(0, 31), signature, data), false);
  assert.equal(await verifySignature(publicKey, signature.subarray(0, 63), data), false);
  assert.equal(await verifySignature(new Uint8Array(0), signature, data), false);
});
