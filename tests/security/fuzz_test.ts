/**
 * Bounded fuzzing: ≥ 100,000 random and mutated frames at the frame decoder
 * and every message parser in-process, then ≥ 20,000 at the live ports of a
 * real registry and a real peer while two peers keep chatting. Nothing may
 * crash, memory must stay bounded, and the bystanders must not notice.
 *
 * The run prints its seed; `FUZZ_SEED=<seed>` replays the same inputs, and
 * `FUZZ_CASES=<n>` changes the in-process volume.
 */

import assert from "node:assert/strict";
import {
  decodeMessage,
  DEFAULT_MAX_FRAME_BYTES,
  encodeMessage,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  parseHostPort,
  parseLinkHandshake,
  parseLinkHelloVersion,
  parseLinkMessage,
  parsePeerToRegistry,
  type Parser,
  parseRegistryToPeer,
  ProtocolError,
} from "../../protocol/mod.ts";
import { PeerProcess, RegistryProcess } from "../support/processes.ts";
import { tempDir } from "../support/temp_dir.ts";
import { mb, MemoryWatch } from "../support/memory_watch.ts";
import {
  caseRng,
  chunkSizes,
  CORPUS,
  frame,
  fuzzSeed,
  type FuzzStream,
  fuzzStream,
  lengthPrefix,
  PARSERS,
  referenceFrames,
  sameBytes,
} from "./fuzz_support.ts";
import { fuzzLivePorts, Tally } from "./fuzz_probe.ts";

const SEED = fuzzSeed();
const DECODER_CASES = Number(Deno.env.get("FUZZ_CASES") ?? 100_000);
console.log(`fuzz seed ${SEED} — replay with FUZZ_SEED=${SEED}`);

const encoder = new TextEncoder();
const PARSER_LIST = Object.entries(PARSERS) as [string, Parser<unknown>][];
/** The only codes `decodeMessage` has any business throwing. */
const DECODE_CODES = new Set(["bad_utf8", "bad_json", "invalid_message", "unknown_type"]);

interface Failure {
  case: number;
  what: string;
  steps: string;
  input: string;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `a thrown ${typeof error}: ${String(error)}`;
  const at = error.stack?.split("\n").find((line) => line.includes(" at ")) ?? "";
  return `${error.constructor.name}: ${error.message.slice(0, 300)} ${at.trim()}`;
}

function report(failures: Failure[], total: number): string {
  const shown = failures.map((f) =>
    `case ${f.case}: ${f.what}\n  made by: ${f.steps.slice(0, 500)}\n  input (base64): ${f.input}`
  );
  return `${total} failing case(s) with FUZZ_SEED=${SEED}; the first ${failures.length}:\n` +
    shown.join("\n");
}

/**
 * Feeds `bytes` in the given chunks, overwriting each chunk after the push as
 * a caller may, and checking the frame held back after each, as a reader does.
 */
function decodeInChunks(
  bytes: Uint8Array,
  maxFrameBytes: number,
  sizes: number[],
  scratch: Uint8Array,
): { payloads: Uint8Array[]; refused: boolean; leftover: number; problem?: string } {
  const decoder = new FrameDecoder({ maxFrameBytes });
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    const chunk = size <= scratch.length ? scratch.subarray(0, size) : new Uint8Array(size);
    chunk.set(bytes.subarray(offset, offset + size));
    offset += size;
    try {
      payloads.push(...decoder.push(chunk));
      // As a FrameStream does before it waits for more bytes: a frame held
      // back after the ones that came before it is refused now.
      decoder.checkWaitingFrame();
    } catch (error) {
      if (error instanceof ProtocolError && error.code === "frame_too_large") {
        return { payloads, refused: true, leftover: 0 };
      }
      return {
        payloads,
        refused: false,
        leftover: 0,
        problem: `push threw ${describeError(error)}`,
      };
    }
    chunk.fill(0xa5);
    if (decoder.bufferedBytes > maxFrameBytes + FRAME_HEADER_BYTES) {
      return {
        payloads,
        refused: false,
        leftover: 0,
        problem: `holds ${decoder.bufferedBytes} bytes, more than one ${maxFrameBytes}-byte frame`,
      };
    }
  }
  return { payloads, refused: false, leftover: decoder.bufferedBytes };
}

/** Why the decoder's output differs from the reference, if it does. */
function decoderProblem(
  stream: FuzzStream,
  maxFrameBytes: number,
  decoded: ReturnType<typeof decodeInChunks>,
): string | undefined {
  if (decoded.problem) return decoded.problem;
  const expected = referenceFrames(stream.bytes, maxFrameBytes);
  if (expected.tooLarge !== decoded.refused) {
    return decoded.refused
      ? "refused a stream with no oversized length prefix"
      : "accepted an oversized length prefix";
  }
  const complete = expected.tooLarge
    ? decoded.payloads.length <= expected.frames.length
    : decoded.payloads.length === expected.frames.length;
  if (!complete || !decoded.payloads.every((p, i) => sameBytes(p, expected.frames[i]))) {
    return `decoded ${decoded.payloads.length} frames, expected ${expected.frames.length} ` +
      "(or their bytes differ: a payload shares memory with the caller's chunk?)";
  }
  if (!expected.tooLarge && decoded.leftover !== expected.leftover) {
    return `buffers ${decoded.leftover} bytes of an incomplete frame, expected ${expected.leftover}`;
  }
  return undefined;
}

/** Why an accepted message is suspect: not a plain object, or not stable when re-encoded. */
function acceptedProblem(message: unknown, parse: Parser<unknown>): string | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    return "accepted something that is not an object";
  }
  if (Object.getPrototypeOf(message) !== Object.prototype) return "result has a foreign prototype";
  if (typeof (message as { type?: unknown }).type !== "string") return "result has no string type";
  try {
    const again = decodeMessage(encodeMessage(message).subarray(FRAME_HEADER_BYTES), parse);
    assert.equal(JSON.stringify(again), JSON.stringify(message));
  } catch (error) {
    return `re-encoding the accepted message does not give it back: ${describeError(error)}`;
  }
  return undefined;
}

function assertPrototypesClean(): void {
  for (const proto of [Object.prototype, Array.prototype, Function.prototype]) {
    assert.ok(!Object.hasOwn(proto, "polluted"), "a prototype gained a 'polluted' property");
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
}

Deno.test("every corpus message is valid for its parser, so mutations start from real messages", () => {
  for (const entry of CORPUS) {
    const payload = encoder.encode(JSON.stringify(entry.message));
    assert.deepEqual(
      decodeMessage(payload, PARSERS[entry.parser] as Parser<unknown>),
      entry.message,
      entry.parser,
    );
  }
  const types = (parser: keyof typeof PARSERS) =>
    new Set(CORPUS.filter((e) => e.parser === parser).map((e) => e.message.type));
  assert.deepEqual(
    types("peerToRegistry"),
    new Set(["hello", "register", "heartbeat", "snapshot_request", "bye", "error"]),
  );
  assert.equal(types("registryToPeer").size, 7);
  assert.equal(types("linkHandshake").size, 4);
  assert.equal(types("linkMessage").size, 6);
});

Deno.test(
  "the frame decoder and every parser meet 100,000 random and mutated frames with nothing but ProtocolError",
  () => {
    const started = performance.now();
    const failures: Failure[] = [];
    let failing = 0;
    let thrown = 0;
    let frames = 0;
    let decodes = 0;
    let bytes = 0;
    let refusedStreams = 0;
    const accepted = new Map<string, number>(PARSER_LIST.map(([name]) => [name, 0]));
    const codes = new Map<string, number>();
    const scratch = new Uint8Array(65536);

    for (let index = 0; index < DECODER_CASES; index++) {
      const rng = caseRng(SEED, index);
      const maxFrameBytes = rng.chance(0.75)
        ? DEFAULT_MAX_FRAME_BYTES
        : rng.pick([0, 5, 64, 1024, 65536]);
      const stream: FuzzStream = rng.chance(0.08)
        ? { bytes: rng.bytes(rng.between(0, 2048)), frames: 1, steps: ["random bytes"] }
        : fuzzStream(rng, CORPUS, maxFrameBytes);
      bytes += stream.bytes.length;
      thrown += stream.frames;
      const fail = (what: string) => {
        failing++;
        if (failures.length >= 5) return;
        const input = stream.bytes.toBase64();
        failures.push({
          case: index,
          what,
          steps: stream.steps.join(" | "),
          input: input.length > 4000
            ? `${input.slice(0, 4000)}… (${stream.bytes.length} bytes)`
            : input,
        });
      };

      const decoded = decodeInChunks(
        stream.bytes,
        maxFrameBytes,
        chunkSizes(rng, stream.bytes.length),
        scratch,
      );
      const problem = decoderProblem(stream, maxFrameBytes, decoded);
      if (problem) fail(`FrameDecoder (limit ${maxFrameBytes}): ${problem}`);
      if (decoded.refused) refusedStreams++;

      for (const payload of decoded.payloads) {
        frames++;
        for (const [name, parse] of PARSER_LIST) {
          decodes++;
          let message: unknown;
          try {
            message = decodeMessage(payload, parse);
          } catch (error) {
            if (error instanceof ProtocolError && DECODE_CODES.has(error.code)) {
              codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
              // Text and JSON are checked before any parser sees the value: the
              // other parsers would meet the very same refusal.
              if (error.code === "bad_utf8" || error.code === "bad_json") break;
            } else {
              fail(`decodeMessage(${name}) threw ${describeError(error)}`);
            }
            continue;
          }
          accepted.set(name, accepted.get(name)! + 1);
          const suspect = acceptedProblem(message, parse);
          if (suspect) fail(`decodeMessage(${name}): ${suspect}`);
        }
      }
    }

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `decoder fuzz: ${DECODER_CASES} cases, ${thrown} frames thrown (${
        (bytes / 1e6).toFixed(1)
      } MB), ` +
        `${frames} decoded, ${refusedStreams} streams refused as frame_too_large, ` +
        `${decodes} parses in ${seconds} s`,
    );
    console.log(`  accepted: ${[...accepted].map(([k, v]) => `${k}=${v}`).join(" ")}`);
    console.log(`  refused:  ${[...codes].map(([k, v]) => `${k}=${v}`).join(" ")}`);
    assertPrototypesClean();
    assert.equal(failing, 0, report(failures, failing));
    assert.ok(DECODER_CASES < 100_000 || frames >= 100_000, `only ${frames} frames were decoded`);
    // Proof the mutations reach past the first checks: some mutants are still valid messages.
    for (const [name, count] of accepted) assert.ok(count > 0, `no mutant ever passed ${name}`);
  },
);

Deno.test("length prefixes are refused from one byte past the limit, however the bytes are split", () => {
  for (const max of [DEFAULT_MAX_FRAME_BYTES, 64]) {
    for (const length of [0, 1, max - 1, max]) {
      const bytes = frame(new Uint8Array(length).fill(7));
      for (const sizes of [[bytes.length], [1, 1, 1, bytes.length - 3], [3, bytes.length - 3]]) {
        const decoder = new FrameDecoder({ maxFrameBytes: max });
        const payloads = sizes.flatMap((size, i) => {
          const start = sizes.slice(0, i).reduce((a, b) => a + b, 0);
          return decoder.push(bytes.subarray(start, start + size));
        });
        assert.equal(payloads.length, 1, `a ${length}-byte frame under a ${max}-byte limit`);
        assert.equal(payloads[0].length, length);
        assert.equal(decoder.bufferedBytes, 0);
      }
    }
    for (const length of [max + 1, 2 ** 31, 2 ** 32 - 1]) {
      const decoder = new FrameDecoder({ maxFrameBytes: max });
      const header = lengthPrefix(length);
      for (let i = 0; i < 3; i++) assert.deepEqual(decoder.push(header.subarray(i, i + 1)), []);
      assert.throws(
        () => decoder.push(header.subarray(3)),
        (error) => error instanceof ProtocolError && error.code === "frame_too_large",
        `a length prefix of ${length} under a ${max}-byte limit`,
      );
    }
    // A header that announces the limit costs only what actually arrives.
    const decoder = new FrameDecoder({ maxFrameBytes: max });
    assert.deepEqual(
      decoder.push(new Uint8Array([...lengthPrefix(max), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
      [],
    );
    assert.equal(decoder.bufferedBytes, FRAME_HEADER_BYTES + 10);
  }
});

Deno.test("a __proto__ key in a frame pollutes nothing and smuggles nothing into a message", () => {
  const decode = (text: string, parse: Parser<unknown>) =>
    decodeMessage(encoder.encode(text), parse);
  const hello = decode(
    '{"type":"hello","protocol":1,"client":"x","__proto__":{"polluted":1,"isAdmin":true}}',
    parsePeerToRegistry,
  ) as Record<string, unknown>;
  assert.deepEqual(Object.keys(hello).sort(), ["client", "protocol", "type"]);
  assert.equal(Object.getPrototypeOf(hello), Object.prototype);
  assert.equal(hello.polluted, undefined);
  assert.equal(hello.isAdmin, undefined);

  const bye = decode('{"type":"bye","constructor":{"prototype":{"polluted":1}}}', parseLinkMessage);
  assert.deepEqual(bye, { type: "bye" });

  // A type that is only inherited through __proto__ is no type at all.
  for (const [, parse] of PARSER_LIST) {
    assert.throws(
      () => decode('{"__proto__":{"type":"bye","protocol":2}}', parse),
      (error) => error instanceof ProtocolError && error.code === "invalid_message",
    );
  }
  // Names of Object.prototype members are unknown types, not table lookups.
  for (const type of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
    for (
      const parse of [
        parsePeerToRegistry,
        parseRegistryToPeer,
        parseLinkHandshake,
        parseLinkHelloVersion,
        parseLinkMessage,
      ]
    ) {
      assert.throws(
        () => decode(JSON.stringify({ type }), parse),
        (error) => error instanceof ProtocolError && error.code === "unknown_type",
        `type ${type}`,
      );
    }
  }
  assertPrototypesClean();
});

// ---- live ports ------------------------------------------------------------------------------

/** Frames the live fuzz must throw at least. */
const LIVE_FRAME_MINIMUM = 20_000;
/** Frames it aims for (`FUZZ_LIVE_FRAMES` for a longer soak). */
const LIVE_FRAME_TARGET = Number(Deno.env.get("FUZZ_LIVE_FRAMES") ?? 25_000);
/**
 * It stops after this long even if it fell short of the target. It reaches
 * the target in about 25 s on a quiet machine; the margin is for a busy one
 * (at load 12, 26 s gave 16,136 frames), so that the minimum measures the
 * ports, not the machine.
 */
const LIVE_TIME_LIMIT_MS = Math.max(60_000, LIVE_FRAME_TARGET * 2);
/** Connections that act fast, and slow-loris ones that hold on: 60 open at most. */
const FAST_CONNECTIONS = 48;
const SLOW_CONNECTIONS = 12;
const MAX_RSS_GROWTH_BYTES = 150 * 1024 * 1024;

interface RegistryStats {
  connectionsOpen: number;
  peersOnline: number;
}

/** Polls the dashboard's `/api/stats` until `test` holds. */
async function registryStatsWhen(
  dashboardUrl: string,
  test: (stats: RegistryStats) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<RegistryStats> {
  const deadline = Date.now() + timeoutMs;
  let stats: RegistryStats | undefined;
  while (Date.now() < deadline) {
    const response = await fetch(new URL("/api/stats", dashboardUrl));
    stats = await response.json() as RegistryStats;
    if (test(stats)) return stats;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; last stats: ${JSON.stringify(stats)}`);
}

Deno.test({
  name:
    "registry and peer ports take 20,000 fuzzed frames without crashing, growing or disturbing a chat",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using dir = await tempDir();
    // The shipped heartbeat settings (2 s, 3 missed): fuzzing must not evict anyone under them.
    await using registry = await RegistryProcess.start([
      "--heartbeat-ms",
      "2000",
      "--evict-after",
      "3",
    ]);
    await using alice = await PeerProcess.start("alice", {
      registry: registry.address,
      dataDir: `${dir.path}/alice`,
      // The fuzz is 60 connections at a time from one IP, and must reach the
      // parsers behind the handshake: the listener's limits would turn most
      // of it away at the door (tests/security/link_flood_test.ts tests them).
      args: [
        "--link-connections-per-second",
        "1000000",
        "--max-pending-links-per-ip",
        "1000",
        "--max-pending-links",
        "1000",
        "--max-links-per-ip",
        "1000",
      ],
    });
    await using bob = await PeerProcess.start("bob", {
      registry: registry.address,
      dataDir: `${dir.path}/bob`,
    });
    await alice.waitFor("peer_joined", { test: (e) => e.peer.id === bob.id });
    const exited = { registry: false, alice: false, bob: false };
    void registry.exited.then(() => exited.registry = true);
    void alice.exited.then(() => exited.alice = true);
    void bob.exited.then(() => exited.bob = true);
    const anyExited = () => exited.registry || exited.alice || exited.bob;

    await using memory = new MemoryWatch({ registry: registry.child.pid, alice: alice.child.pid });
    const marks = {
      alice: alice.mark(),
      bob: bob.mark(),
      stderr: { registry: registry.stderr.length, alice: alice.stderr.length },
    };

    const tally = await fuzzLivePorts({
      registry: parseHostPort(registry.address),
      peer: { hostname: "127.0.0.1", port: parseHostPort(alice.listen).port },
      peerId: alice.id,
      victims: [{ id: alice.id, name: "alice" }, { id: bob.id, name: "bob" }],
    }, {
      seed: SEED,
      frames: LIVE_FRAME_TARGET,
      timeLimitMs: LIVE_TIME_LIMIT_MS,
      fastConnections: FAST_CONNECTIONS,
      slowConnections: SLOW_CONNECTIONS,
      // The registry allows 600 registrations a minute per IP, and carol (same
      // IP) must still get in afterwards.
      maxRegisterAttempts: 400,
      abort: anyExited,
    });
    const elapsed = (tally.elapsedMs / 1000).toFixed(1);
    await memory.stop();

    console.log(
      `live fuzz: ${tally.frames} frames over ${tally.connections} connections in ${elapsed} s ` +
        `(${tally.registrations} registrations of ${tally.registerAttempts} attempts, ` +
        `${tally.links} sealed links, ${tally.sealedFrames} sealed frames)`,
    );
    console.log(`  scripts: ${Tally.show(tally.scripts)}`);
    console.log(`  answers: ${Tally.show(tally.answers)}`);

    // (a) Nobody crashed.
    assert.deepEqual(
      exited,
      { registry: false, alice: false, bob: false },
      "a process exited during the fuzz",
    );
    assert.deepEqual(tally.findings, [], "the live ports misbehaved");
    assert.ok(
      tally.frames >= LIVE_FRAME_MINIMUM,
      `only ${tally.frames} frames thrown in ${elapsed} s`,
    );
    const escaped = (text: string) => text.split("\n").filter((line) => / ERROR /.test(line));
    assert.deepEqual(
      escaped(registry.stderr.slice(marks.stderr.registry)),
      [],
      "registry logged errors",
    );
    assert.deepEqual(escaped(alice.stderr.slice(marks.stderr.alice)), [], "alice logged errors");

    // (b) Memory stayed bounded.
    const after = await memory.sample();
    console.log(`  memory: ${memory.summary(after)}`);
    for (const role of ["registry", "alice"] as const) {
      const growth = after[role] - memory.before[role];
      assert.ok(growth < MAX_RSS_GROWTH_BYTES, `${role} grew by ${mb(growth)}`);
    }

    // (c) Bystanders unaffected: still registered, never told the other left.
    const disturbances = [
      ...alice.events.slice(marks.alice).map((e) => ({ peer: "alice", ...e })),
      ...bob.events.slice(marks.bob).map((e) => ({ peer: "bob", ...e })),
    ].filter((e) =>
      e.event === "registry_lost" ||
      (e.event === "peer_left" && (e.peer.id === alice.id || e.peer.id === bob.id))
    );
    assert.deepEqual(disturbances, [], "a bystander lost the registry or its chat partner");
    assert.deepEqual(alice.all("error"), [], "alice reported errors");

    // Every fuzz connection is gone from the registry: only alice and bob are left.
    const stats = await registryStatsWhen(
      registry.dashboardUrl,
      (s) => s.connectionsOpen === 2,
      "the registry to drop every fuzz connection",
    );
    assert.equal(stats.peersOnline, 2);

    const mark = alice.mark();
    await alice.command({ cmd: "send", to: "bob", text: "still here after the storm?" });
    const message = await bob.waitFor("message", {
      test: (e) => e.text === "still here after the storm?",
      after: marks.bob,
    });
    await alice.waitFor("delivered", { test: (e) => e.id === message.id, after: mark });
    await using carol = await PeerProcess.start("carol", {
      registry: registry.address,
      dataDir: `${dir.path}/carol`,
    });
    await alice.waitFor("peer_joined", { test: (e) => e.peer.id === carol.id, after: mark });
  },
});
