/**
 * Inputs for the fuzz tests: a seeded generator (so a failure can be
 * replayed with `FUZZ_SEED`), a corpus with a valid example of every message
 * type of every parser, and mutators that turn those examples into the
 * hostile frames a network can deliver — flipped bits, cut text, confused
 * types, duplicate and `__proto__` keys, deep nesting, huge strings and
 * arrays, invalid UTF-8 and lying length prefixes.
 */

import {
  base32,
  FRAME_HEADER_BYTES,
  parseLinkHandshake,
  parseLinkHelloVersion,
  parseLinkMessage,
  parsePeerToRegistry,
  type Parser,
  parseRegistryToPeer,
} from "../../protocol/mod.ts";

// ---- randomness ----------------------------------------------------------------------

/** sfc32: small, fast, and the same sequence everywhere for the same seed. */
export class Rng {
  #a = 0x9e3779b9;
  #b = 0x243f6a88;
  #c = 0xb7e15162;
  #d: number;

  constructor(seed: number) {
    this.#d = seed | 0;
    for (let i = 0; i < 16; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (((this.#c << 21) | (this.#c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.uint32() / 2 ** 32;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.uint32() & 0xff;
    return out;
  }
}

/** The run's seed: `FUZZ_SEED` (to replay a failure) or a fresh random one. */
export function fuzzSeed(): number {
  const given = Deno.env.get("FUZZ_SEED");
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new RangeError(`FUZZ_SEED must be an integer: ${given}`);
    return seed >>> 0;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** An independent generator for case `index` of a run, so every case replays alone. */
export function caseRng(seed: number, index: number): Rng {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

// ---- the corpus -------------------------------------------------------------------------

/** Every parser a frame from the network may meet. */
export const PARSERS = {
  peerToRegistry: parsePeerToRegistry,
  registryToPeer: parseRegistryToPeer,
  linkHandshake: parseLinkHandshake,
  linkHelloVersion: parseLinkHelloVersion,
  linkMessage: parseLinkMessage,
} as const satisfies Record<string, Parser<unknown>>;

/** The name of one of {@linkcode PARSERS}. */
export type ParserName = keyof typeof PARSERS;

/** A message valid for `parser`. */
export interface CorpusEntry {
  parser: ParserName;
  message: Record<string, unknown>;
}

const idOf = (fill: number) => base32(new Uint8Array(32).fill(fill));
const bytesOf = (length: number, fill: number) => new Uint8Array(length).fill(fill).toBase64();
const ID_A = idOf(1);
const ID_B = idOf(2);
const ID_C = idOf(3);
const KEY = bytesOf(32, 4);
const SIGNATURE = bytesOf(64, 5);
const MESSAGE_ID = "0190a4b2-7c3d-7abc-8def-0123456789ab";
const EPOCH = "lx2k9a-0a1b2c3d4e5f";
const CLIENT = "p2pchat/0.1.0";
const PEER_INFO = { id: ID_B, name: "bob", address: "127.0.0.1:40001" };

/** A valid example of every message type, for every parser. */
export const CORPUS: readonly CorpusEntry[] = [
  ...[
    { type: "hello", protocol: 1, client: CLIENT },
    {
      type: "register",
      id: ID_A,
      name: "alice",
      publicKey: KEY,
      listenPort: 40000,
      advertise: "10.0.0.5:4000",
      registry: "127.0.0.1:7070",
      epoch: "mfx1-0a1b2c",
      reconnects: 2,
      client: CLIENT,
      signature: SIGNATURE,
    },
    {
      type: "register",
      id: ID_C,
      name: "Zoë",
      publicKey: KEY,
      listenPort: 1,
      registry: "[::1]:7070",
      epoch: "e",
      reconnects: 0,
      client: CLIENT,
      signature: SIGNATURE,
    },
    { type: "heartbeat", seq: 7 },
    { type: "snapshot_request" },
    { type: "bye" },
    { type: "error", code: "bad_json", message: "Frame is not valid JSON" },
  ].map((message) => ({ parser: "peerToRegistry" as const, message })),
  ...[
    { type: "challenge", protocol: 1, nonce: KEY, epoch: EPOCH, registry: CLIENT },
    {
      type: "welcome",
      id: ID_A,
      name: "alice",
      address: "127.0.0.1:40000",
      epoch: EPOCH,
      heartbeatMs: 2000,
      evictAfter: 3,
    },
    {
      type: "snapshot",
      epoch: EPOCH,
      seq: 4,
      peers: [PEER_INFO, { id: ID_C, name: "carol", address: "[::1]:7" }],
      more: false,
    },
    { type: "snapshot", epoch: EPOCH, seq: 4, peers: [], more: true },
    {
      type: "peers_delta",
      epoch: EPOCH,
      seq: 5,
      changes: [
        { op: "joined", peer: PEER_INFO },
        { op: "updated", peer: { ...PEER_INFO, address: "10.1.1.1:9" } },
        { op: "left", id: ID_C, reason: "timeout" },
      ],
    },
    { type: "heartbeat_ack", seq: 7 },
    { type: "bye", reason: "shutdown" },
    { type: "bye", reason: "kicked" },
    { type: "error", code: "rate_limited", message: "slow down" },
  ].map((message) => ({ parser: "registryToPeer" as const, message })),
  ...[
    { type: "link_hello", protocol: 2, from: ID_A, to: ID_B, ephemeral: KEY },
    {
      type: "link_accept",
      id: ID_B,
      publicKey: KEY,
      ephemeral: KEY,
      signature: SIGNATURE,
      mac: KEY,
    },
    { type: "link_confirm", publicKey: KEY, signature: SIGNATURE, mac: KEY },
    { type: "error", code: "handshake_failed", message: "no" },
  ].map((message) => ({ parser: "linkHandshake" as const, message })),
  { parser: "linkHelloVersion", message: { type: "link_hello", protocol: 2 } },
  ...[
    {
      type: "chat",
      id: MESSAGE_ID,
      text: "hi 👋 — ünïcödé",
      sentAt: 1_700_000_000_000,
      broadcast: false,
    },
    { type: "chat", id: MESSAGE_ID, text: "to everyone", sentAt: 0, broadcast: true },
    { type: "ack", id: MESSAGE_ID },
    { type: "receipt", id: MESSAGE_ID },
    { type: "receipt_ack", id: MESSAGE_ID },
    { type: "bye" },
    { type: "error", code: "bad_ciphertext", message: "" },
  ].map((message) => ({ parser: "linkMessage" as const, message })),
];

/** Every message `type` the protocol knows. */
export const MESSAGE_TYPES: readonly string[] = [
  ...new Set(CORPUS.map((entry) => entry.message.type as string)),
];

// ---- hostile values ----------------------------------------------------------------------

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  2,
  7,
  9,
  10,
  1000,
  1001,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 48,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER,
  8.64e15,
  8.64e15 + 1,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  3_600_001,
];

const STRINGS = [
  "",
  " ",
  "a",
  "alice",
  "ALICE",
  "ａｌｉｃｅ",
  ".",
  "..",
  "../../etc/passwd",
  "e\u0301",
  "\u202eevil",
  "\u200b",
  "\u0000",
  "\ud800",
  "\udfff\ud800",
  "👩‍💻",
  "\ufeff",
  "\r\n",
  '"',
  "\\",
  "[".repeat(40),
  '\\"[[[[[[[[[[[[[[[[[[[[[[',
  "}".repeat(40),
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "NaN",
  "Infinity",
  "null",
  "true",
  "1",
  "127.0.0.1:0",
  ":",
  ":7070",
  "[::1]:7070",
  "[zz]:1",
  "host:99999",
  "a".repeat(51),
  "a".repeat(52),
  "a".repeat(53),
  "A".repeat(52),
  "1".repeat(52),
  KEY.slice(0, 43),
  KEY,
  KEY + "=",
  "=".repeat(44),
  "*".repeat(44),
  SIGNATURE,
  SIGNATURE.slice(1),
  "0190a4b2-7c3d-6abc-8def-0123456789ab",
  "0190A4B2-7C3D-7ABC-8DEF-0123456789AB",
  MESSAGE_ID + "\n",
  "x".repeat(32),
  "x".repeat(33),
  "x".repeat(64),
  "x".repeat(65),
  "𝒜".repeat(33),
  "x".repeat(1024),
  "x".repeat(1025),
  "x".repeat(4097),
  ...MESSAGE_TYPES,
];

const HOSTILE_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "type",
  "id",
  "",
  "\u0000",
  "x".repeat(300),
];

/** An object with an own `key` (also for `__proto__`, which `obj[key] =` would not create). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * A random JSON value meant to confuse a validator. Only `big` values may be
 * huge (long strings, thousands of items): they cost time to throw around.
 */
export function hostileValue(rng: Rng, depth = 0, big = false): unknown {
  const roll = rng.below(100);
  if (roll < 25) return rng.pick(NUMBERS);
  if (roll < 30) return rng.between(-1000, 100_000);
  if (roll < 55) return rng.pick(STRINGS);
  if (roll < 64) {
    // Huge strings are costly to throw around: rare, but there.
    if (big) return "x".repeat(rng.pick([16384, 16385, 65536, 300_000]));
    if (rng.chance(0.05)) return "x".repeat(rng.pick([1024, 1025, 4097]));
    return randomText(rng, rng.between(0, 80));
  }
  if (roll < 70) return null;
  if (roll < 75) return rng.chance(0.5);
  if (roll < 85) {
    if (depth > 2) return [];
    const item = hostileValue(rng, depth + 1, big);
    const length = big ? copiesWithin(item, rng.pick([2001, 5001, 20_000])) : rng.between(0, 4);
    return rng.chance(0.5)
      ? Array.from({ length }, () => item)
      : Array.from({ length: Math.min(length, 50) }, () => hostileValue(rng, depth + 1, big));
  }
  if (depth > 2) return {};
  const object: Record<string, unknown> = {};
  for (let i = rng.between(0, 3); i > 0; i--) {
    setOwn(object, rng.pick([...HOSTILE_KEYS, "a", "b"]), hostileValue(rng, depth + 1, big));
  }
  if (rng.chance(0.2)) setOwn(object, "__proto__", { polluted: 1 });
  return object;
}

/** Frames are at most 1 MiB: enough copies of `item` to pass that, but not gigabytes. */
const MAX_GROWN_CHARS = 2 * 1024 * 1024;
function copiesWithin(item: unknown, wanted: number): number {
  const size = (JSON.stringify(item) ?? "null").length + 1;
  return Math.max(1, Math.min(wanted, Math.floor(MAX_GROWN_CHARS / size)));
}

/** True if `value` as JSON has at most about `limit` characters (stops counting past it). */
function jsonFitsIn(value: unknown, limit: number): boolean {
  let size = 0;
  const visit = (v: unknown): boolean => {
    if (typeof v === "string") size += v.length + 2;
    else if (typeof v !== "object" || v === null) size += 8;
    else if (Array.isArray(v)) {
      size += 2;
      for (const item of v) if (!visit(item)) return false;
    } else {
      size += 2;
      for (const key of Object.keys(v)) {
        size += key.length + 4;
        if (!visit((v as Record<string, unknown>)[key])) return false;
      }
    }
    return size <= limit;
  };
  return visit(value);
}

/** Random text over all of Unicode, lone surrogates included. */
export function randomText(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    const roll = rng.below(10);
    const code = roll < 6
      ? rng.between(0x20, 0x7e)
      : roll < 7
      ? rng.between(0, 0x1f)
      : roll < 8
      ? rng.between(0xd800, 0xdfff)
      : rng.between(0x80, 0xffff);
    out += String.fromCharCode(code);
  }
  return out;
}

// ---- mutations -------------------------------------------------------------------------

type Slot = { container: Record<string, unknown> | unknown[]; key: string | number };

function slotsOf(value: unknown, out: Slot[] = [], depth = 0): Slot[] {
  if (depth > 6 || typeof value !== "object" || value === null) return out;
  if (Array.isArray(value)) {
    // A long array gets a few slots, not thousands.
    const step = Math.max(1, Math.floor(value.length / 8));
    for (let i = 0; i < value.length; i += step) {
      out.push({ container: value, key: i });
      slotsOf(value[i], out, depth + 1);
    }
  } else {
    for (const key of Object.keys(value)) {
      out.push({ container: value as Record<string, unknown>, key });
      slotsOf((value as Record<string, unknown>)[key], out, depth + 1);
    }
  }
  return out;
}

function setSlot(slot: Slot, value: unknown): void {
  if (Array.isArray(slot.container)) slot.container[slot.key as number] = value;
  else setOwn(slot.container, slot.key as string, value);
}

function getSlot(slot: Slot): unknown {
  return (slot.container as Record<string | number, unknown>)[slot.key];
}

function nest(value: unknown, depth: number, rng: Rng): unknown {
  let out = value;
  for (let i = 0; i < depth; i++) out = rng.chance(0.5) ? [out] : { a: out };
  return out;
}

/** Copies a JSON value, keeping own `__proto__` keys as data. */
function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** Changes a parsed message in one way; returns the (possibly new) root and what it did. */
function mutateValue(
  root: unknown,
  rng: Rng,
  corpus: readonly CorpusEntry[],
  big: boolean,
): [unknown, string] {
  const slots = slotsOf(root);
  const slot = slots.length > 0 ? rng.pick(slots) : undefined;
  const roll = rng.below(100);
  if (slot === undefined || roll < 4) return [hostileValue(rng, 0, big), "root"];
  if (roll < 18) {
    if (Array.isArray(slot.container)) slot.container.splice(slot.key as number, 1);
    else delete slot.container[slot.key as string];
    return [root, `delete ${slot.key}`];
  }
  if (roll < 50) {
    setSlot(slot, hostileValue(rng, 0, big));
    return [root, `replace ${slot.key}`];
  }
  if (roll < 58) {
    setSlot(slot, rng.pick(NUMBERS));
    return [root, `number ${slot.key}`];
  }
  if (roll < 66 && typeof root === "object" && root !== null && !Array.isArray(root)) {
    setOwn(root as Record<string, unknown>, "type", rng.pick([...MESSAGE_TYPES, ...STRINGS]));
    return [root, "retype"];
  }
  if (roll < 73) {
    const key = rng.pick(HOSTILE_KEYS);
    const objects = slots.map(getSlot).filter((v) =>
      typeof v === "object" && v !== null && !Array.isArray(v)
    ) as Record<string, unknown>[];
    const target = typeof root === "object" && root !== null && !Array.isArray(root)
      ? rng.pick([root as Record<string, unknown>, ...objects])
      : rng.pick(objects.length > 0 ? objects : [{}]);
    setOwn(
      target,
      key,
      key === "__proto__" ? { polluted: 1, type: "hello" } : hostileValue(rng, 0, big),
    );
    return [root, `add ${key}`];
  }
  if (roll < 79) {
    const depth = rng.pick([1, 2, 8, 14, 15, 16, 17, 40]);
    setSlot(slot, nest(getSlot(slot), depth, rng));
    return [root, `nest ${slot.key} ×${depth}`];
  }
  if (roll < 84) {
    const item = getSlot(slot);
    const length = big
      ? copiesWithin(item, rng.pick([2000, 2001, 5000, 5001]))
      : rng.between(2, 50);
    setSlot(slot, Array.from({ length }, () => item));
    return [root, `grow ${slot.key} ×${length}`];
  }
  if (roll < 92) {
    // Type confusion across messages: a field from another message type.
    const donor = rng.pick(corpus).message;
    const key = rng.pick(Object.keys(donor));
    setSlot(slot, cloneJson(donor[key]));
    return [root, `borrow ${key} into ${slot.key}`];
  }
  const value = getSlot(slot);
  const swapped = typeof value === "number"
    ? String(value)
    : typeof value === "string"
    ? (Number(value) || [value])
    : Array.isArray(value)
    ? Object.fromEntries(value.map((v, i) => [String(i), v]))
    : value === null
    ? {}
    : null;
  setSlot(slot, swapped);
  return [root, `swap type of ${slot.key}`];
}

const NUMBER_TEXTS = [
  "1e999",
  "-1e999",
  "1e-999",
  "-0",
  "0.0000001",
  "123456789012345678901234567890",
  "0x10",
  "NaN",
  "Infinity",
  "1_000",
  "01",
  "1.",
  ".5",
  "+1",
];

const ESCAPES = ["\\u0000", "\\ud800", "\\udc00\\ud800", "\\x41", "\\u12", "\\", '\\"', "\\/"];

/** Changes JSON text in one way. */
function mutateText(text: string, rng: Rng, big: boolean): [string, string] {
  const at = rng.between(0, text.length);
  const brace = text.indexOf("{");
  const roll = rng.below(100);
  if (roll < 12) return [text.slice(0, rng.below(text.length + 1)), "cut"];
  if (roll < 24 && brace >= 0) {
    const key = rng.pick(["type", "id", "name", "protocol", "seq", "text", "client", "peers"]);
    const value = JSON.stringify(hostileValue(rng, 0, big)) ?? "null";
    const first = rng.chance(0.5);
    return [
      first
        ? `${text.slice(0, brace + 1)}"${key}":${value},${text.slice(brace + 1)}`
        : `${text.slice(0, text.lastIndexOf("}"))},"${key}":${value}}`,
      `duplicate ${key} ${first ? "first" : "last"}`,
    ];
  }
  if (roll < 34 && brace >= 0) {
    const injected = rng.pick([
      '"__proto__":{"polluted":1,"type":"hello"},',
      '"__proto__":null,',
      '"constructor":{"prototype":{"polluted":1}},',
      '"__proto__":{"__proto__":{"polluted":1}},',
    ]);
    return [`${text.slice(0, brace + 1)}${injected}${text.slice(brace + 1)}`, "proto key"];
  }
  if (roll < 42) {
    return [text + rng.pick([" ", "x", "{}", "]", "\u0000", ",", "}", "\n{}"]), "trailing junk"];
  }
  if (roll < 52) {
    const replaced = text.replace(/-?\d+/, rng.pick(NUMBER_TEXTS));
    return [replaced, "number text"];
  }
  if (roll < 62) {
    const depth = big ? rng.pick([10_000, 300_000]) : rng.pick([15, 16, 17, 18, 100, 1000]);
    const balanced = rng.chance(0.7);
    const open = rng.chance(0.5) ? "[" : '{"a":';
    const close = open === "[" ? "]" : "}";
    return [
      open.repeat(depth) + text + (balanced ? close.repeat(depth) : ""),
      `deep ×${depth}${balanced ? "" : " unbalanced"}`,
    ];
  }
  if (roll < 72) {
    const quote = text.indexOf('"', at);
    const where = quote >= 0 ? quote + 1 : at;
    return [`${text.slice(0, where)}${rng.pick(ESCAPES)}${text.slice(where)}`, "escape"];
  }
  if (roll < 80) {
    return [`${text.slice(0, at)}${randomText(rng, rng.between(1, 4))}${text.slice(at)}`, "insert"];
  }
  if (roll < 88) return [text.slice(0, at) + text.slice(at + rng.between(1, 8)), "delete"];
  if (roll < 94) return ["\ufeff" + text, "BOM"];
  return [" \n\t\r".repeat(rng.between(1, 50)) + text + " ".repeat(rng.between(0, 50)), "spaces"];
}

const INVALID_UTF8 = [
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xff],
  [0xfe],
  [0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
];

/** Changes encoded bytes in one way. */
function mutateBytes(bytes: Uint8Array, rng: Rng): [Uint8Array, string] {
  const roll = rng.below(100);
  const at = rng.between(0, bytes.length);
  if (roll < 30 && bytes.length > 0) {
    const out = bytes.slice();
    const flips = rng.between(1, 8);
    for (let i = 0; i < flips; i++) out[rng.below(out.length)] ^= 1 << rng.below(8);
    return [out, `flip ${flips} bits`];
  }
  if (roll < 55) {
    const inserted = rng.chance(0.6) ? rng.pick(INVALID_UTF8) : [...rng.bytes(rng.between(1, 8))];
    return [
      concatBytes(bytes.subarray(0, at), Uint8Array.from(inserted), bytes.subarray(at)),
      "insert bytes",
    ];
  }
  if (roll < 70) {
    return [
      concatBytes(bytes.subarray(0, at), bytes.subarray(at + rng.between(1, 16))),
      "delete bytes",
    ];
  }
  if (roll < 85 && bytes.length > 0) {
    const out = bytes.slice();
    out[rng.below(out.length)] = rng.pick([0, 0x22, 0x5c, 0x7b, 0x5b, 0x7d, 0x5d, 0xff, 0x80]);
    return [out, "overwrite byte"];
  }
  return [bytes.slice(0, rng.below(bytes.length + 1)), "truncate bytes"];
}

const encoder = new TextEncoder();

/** A payload made from a corpus message by a few mutations, and what they were. */
export function mutatedPayload(
  rng: Rng,
  corpus: readonly CorpusEntry[],
): { payload: Uint8Array; steps: string[] } {
  const entry = rng.pick(corpus);
  // A few payloads in a thousand may be huge; the rest stay small enough to throw by the thousand.
  const big = rng.chance(0.003);
  const steps = [`${entry.parser}:${entry.message.type}${big ? " (big)" : ""}`];
  let value: unknown = cloneJson(entry.message);
  if (rng.chance(0.85)) {
    for (let i = rng.between(1, 3); i > 0; i--) {
      let step: string;
      [value, step] = mutateValue(value, rng, corpus, big);
      steps.push(step);
      // Mutations compound (a grown array inside a grown array): start over when too big.
      if (!jsonFitsIn(value, MAX_GROWN_CHARS)) {
        value = cloneJson(entry.message);
        steps.push("(too big: start over)");
      }
    }
  }
  let text = JSON.stringify(value) ?? "null";
  if (text.length > 2 * MAX_GROWN_CHARS) text = text.slice(0, 2 * MAX_GROWN_CHARS);
  if (rng.chance(0.35)) {
    for (let i = rng.between(1, 2); i > 0; i--) {
      let step: string;
      [text, step] = mutateText(text, rng, big);
      steps.push(step);
    }
  }
  let payload: Uint8Array = encoder.encode(text);
  if (rng.chance(0.25)) {
    for (let i = rng.between(1, 3); i > 0; i--) {
      let step: string;
      [payload, step] = mutateBytes(payload, rng);
      steps.push(step);
    }
  }
  return { payload, steps };
}

const JSONISH = '{}[]":,0123456789.-+eEtruefalsnl\\ \n'.split("");

/** Bytes that are not a message at all: noise, or text that nearly looks like JSON. */
export function noisePayload(rng: Rng): Uint8Array {
  const length = rng.chance(0.3)
    ? rng.between(0, 16)
    : rng.chance(0.8)
    ? rng.between(0, 256)
    : rng.between(0, 4096);
  if (rng.chance(0.5)) return rng.bytes(length);
  let text = "";
  for (let i = 0; i < length; i++) text += rng.pick(JSONISH);
  return encoder.encode(text);
}

// ---- frames ------------------------------------------------------------------------------

/** `payload` behind its 4-byte big-endian length. */
export function frame(payload: Uint8Array): Uint8Array {
  return concatBytes(lengthPrefix(payload.length), payload);
}

export function lengthPrefix(length: number): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(out.buffer).setUint32(0, length);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Bytes for one connection: several units, each counted as one frame thrown. */
export interface FuzzStream {
  bytes: Uint8Array;
  /** Units (frames, lying headers, raw noise) it is made of. */
  frames: number;
  /** What each unit is, for failure reports. */
  steps: string[];
}

/** A stream of 1–6 frames: mostly mutated messages, some noise and lying length prefixes. */
export function fuzzStream(
  rng: Rng,
  corpus: readonly CorpusEntry[],
  maxFrameBytes: number,
): FuzzStream {
  const parts: Uint8Array[] = [];
  const steps: string[] = [];
  const units = rng.chance(0.5) ? 1 : rng.between(2, 6);
  for (let i = 0; i < units; i++) {
    const roll = rng.below(100);
    if (roll < 60) {
      const { payload, steps: how } = mutatedPayload(rng, corpus);
      parts.push(frame(payload));
      steps.push(how.join(", "));
    } else if (roll < 70) {
      const entry = rng.pick(corpus);
      parts.push(frame(encoder.encode(JSON.stringify(entry.message))));
      steps.push(`valid ${entry.parser}:${entry.message.type}`);
    } else if (roll < 82) {
      parts.push(frame(noisePayload(rng)));
      steps.push("noise frame");
    } else if (roll < 86 && maxFrameBytes <= 65536) {
      const length = Math.max(0, maxFrameBytes + rng.between(-1, 1));
      parts.push(frame(rng.bytes(length)));
      steps.push(`frame of ${length} bytes (limit ${maxFrameBytes})`);
    } else if (roll < 94) {
      const length = rng.pick([
        0,
        1,
        2,
        3,
        4,
        255,
        65535,
        65536,
        Math.max(0, maxFrameBytes - 1),
        maxFrameBytes,
        maxFrameBytes + 1,
        2 ** 31 - 1,
        2 ** 31,
        2 ** 32 - 1,
        rng.uint32(),
      ]);
      parts.push(lengthPrefix(length), rng.bytes(rng.between(0, 64)));
      steps.push(`length prefix ${length} with a short body`);
    } else {
      parts.push(rng.bytes(rng.between(1, 64)));
      steps.push("raw bytes");
    }
  }
  return { bytes: concatBytes(...parts), frames: units, steps };
}

/** What a correct decoder makes of `bytes`: whole frames, then a refusal or a remainder. */
export function referenceFrames(
  bytes: Uint8Array,
  maxFrameBytes: number,
): { frames: Uint8Array[]; tooLarge: boolean; leftover: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Uint8Array[] = [];
  let offset = 0;
  while (bytes.length - offset >= FRAME_HEADER_BYTES) {
    const length = view.getUint32(offset);
    if (length > maxFrameBytes) return { frames, tooLarge: true, leftover: 0 };
    if (bytes.length - offset - FRAME_HEADER_BYTES < length) break;
    frames.push(bytes.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length));
    offset += FRAME_HEADER_BYTES + length;
  }
  return { frames, tooLarge: false, leftover: bytes.length - offset };
}

/** Random chunk sizes covering `total` bytes, the way TCP may split a stream. */
export function chunkSizes(rng: Rng, total: number): number[] {
  // Byte-sized pieces for small streams; a megabyte arrives in larger ones.
  const style = total > 65536 ? rng.pick([0, 3, 4]) : rng.below(5);
  const sizes: number[] = [];
  let left = total;
  while (left > 0) {
    const size = style === 0
      ? left
      : style === 1 && total <= 4096
      ? 1
      : style === 2
      ? rng.between(1, 16)
      : style === 3
      ? rng.between(1, 512)
      : rng.between(1, 65536);
    sizes.push(Math.min(size, left));
    left -= size;
  }
  return sizes;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
