/**
 * A hostile client for live ports. Each script opens one TCP connection to
 * the registry or to a peer, throws fuzzed frames at it (all at once, in
 * dribbles, after a genuine handshake, or so slowly it looks like a
 * slow-loris), reads whatever comes back until the other side closes or the
 * client gives up, and checks that every answer is itself a valid message:
 * a server that is being attacked may refuse, but never babble.
 */

import { Notifier } from "../../async/mod.ts";
import {
  CLIENT_NAME,
  decodeMessage,
  deriveSessionKeys,
  encodeMessage,
  finishedMac,
  finishedMacMatches,
  formatNetAddr,
  FrameDecoder,
  type HostPort,
  isConnectionGone,
  LINK_PROTOCOL_VERSION,
  newEphemeralKey,
  newMessageId,
  parseLinkHandshake,
  parseLinkMessage,
  parsePeerToRegistry,
  type Parser,
  parseRegistryToPeer,
  peerIdFromPublicKey,
  PROTOCOL_VERSION,
  ProtocolError,
  type SessionKeys,
  signedPart,
  signedRegistration,
  transcriptBytes,
  verifySignature,
} from "../../protocol/mod.ts";
import { Identity } from "../../peer/mod.ts";
import {
  caseRng,
  concatBytes,
  CORPUS,
  type CorpusEntry,
  frame,
  type FuzzStream,
  fuzzStream,
  hostileValue,
  lengthPrefix,
  mutatedPayload,
  randomText,
  type Rng,
} from "./fuzz_support.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_REPLY_FRAME_BYTES = 1024 * 1024;

/** One connection to a live port, with everything it received. */
export class ProbeConnection implements AsyncDisposable {
  /** Frame payloads received, in order. */
  readonly replies: Uint8Array[] = [];
  /** Set when the other side broke framing (an oversized or cut-off frame). */
  replyProblem: string | undefined;
  /** Resolves when reading has stopped: the other side closed, or we did. */
  readonly done: Promise<void>;
  readonly #conn: Deno.TcpConn;
  readonly #decoder = new FrameDecoder({ maxFrameBytes: MAX_REPLY_FRAME_BYTES });
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #changes = new Notifier();
  #closed = false;
  #ended = false;

  private constructor(conn: Deno.TcpConn, lifetimeMs: number) {
    this.#conn = conn;
    // Whatever the script does, the connection is given up after this long.
    this.#timer = setTimeout(() => this.close(), lifetimeMs);
    this.done = this.#read();
  }

  static async open(address: HostPort, lifetimeMs: number): Promise<ProbeConnection> {
    const conn = await Deno.connect({ hostname: address.hostname, port: address.port });
    conn.setNoDelay(true);
    return new ProbeConnection(conn, lifetimeMs);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Writes all of `bytes`; false if the connection is already gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let offset = 0;
      while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
      return true;
    } catch (error) {
      if (isConnectionGone(error)) return false;
      throw error;
    }
  }

  /** Reply number `index`, waiting up to `ms` for it; undefined if it did not come. */
  async reply(index: number, ms: number): Promise<Uint8Array | undefined> {
    await this.#until(() => this.replies.length > index || this.#ended, ms);
    return this.replies[index];
  }

  close(): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.done;
  }

  async #until(test: () => boolean, ms: number): Promise<void> {
    await this.#changes.until(() => test() || undefined, ms);
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        let count: number | null;
        try {
          count = await this.#conn.read(buffer);
        } catch (error) {
          if (isConnectionGone(error)) return;
          throw error;
        }
        if (count === null) {
          if (!this.#closed && this.#decoder.bufferedBytes > 0) {
            this.replyProblem =
              `closed the connection in the middle of a frame (${this.#decoder.bufferedBytes} bytes of it sent)`;
          }
          return;
        }
        try {
          this.replies.push(...this.#decoder.push(buffer.subarray(0, count)));
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          this.replyProblem = `sent a frame the protocol forbids: ${error.message}`;
          return;
        }
        this.#changes.notify();
      }
    } finally {
      this.#ended = true;
      this.close();
      this.#changes.notify();
    }
  }
}

// ---- the tally ---------------------------------------------------------------------------

/** What the live fuzz did and saw. */
export class Tally {
  /** Frames (and lying headers, and noise blobs) handed to the kernel. */
  frames = 0;
  connections = 0;
  /** Registers sent that parse, and so may spend the registry's per-IP budget. */
  registerAttempts = 0;
  registrations = 0;
  links = 0;
  sealedFrames = 0;
  /** Connections the target refused outright (it is gone, or stopped accepting). */
  connectFailures = 0;
  elapsedMs = 0;
  readonly scripts = new Map<string, number>();
  readonly answers = new Map<string, number>();
  /** Things a correct server never does; each one fails the test. */
  readonly findings: string[] = [];

  count(map: Map<string, number>, key: string, by = 1): void {
    map.set(key, (map.get(key) ?? 0) + by);
  }

  finding(text: string): void {
    if (this.findings.length < 20) this.findings.push(text);
  }

  /** Sorted `key=count` list for printing. */
  static show(map: Map<string, number>): string {
    return [...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(" ");
  }
}

/** Where to aim, and whom to leave unharmed. */
export interface LiveTargets {
  registry: HostPort;
  peer: HostPort;
  /** The attacked peer's ID, so hellos addressed to it get past the first check. */
  peerId: string;
  /** Real peers the fuzz impersonates (their names and IDs must stay theirs). */
  victims: { id: string; name: string }[];
}

/** Everything a script needs. */
interface ProbeContext {
  rng: Rng;
  targets: LiveTargets;
  tally: Tally;
  /** Most registers that may parse, keeping a real newcomer inside the per-IP budget. */
  maxRegisterAttempts: number;
}

type Side = "registry" | "peer";

const REGISTRY_CORPUS = CORPUS.filter((e) => e.parser === "peerToRegistry");
const LINK_CORPUS = CORPUS.filter((e) =>
  e.parser === "linkHandshake" || e.parser === "linkHelloVersion"
);
const CHAT_CORPUS = CORPUS.filter((e) => e.parser === "linkMessage");

function corpusFor(side: Side, rng: Rng): readonly CorpusEntry[] {
  // Mostly the messages this port expects, sometimes everyone else's.
  if (rng.chance(0.15)) return CORPUS;
  return side === "registry" ? REGISTRY_CORPUS : LINK_CORPUS;
}

/** Opens a connection, runs `body`, waits for the end, and checks every plaintext answer. */
async function withProbe(
  context: ProbeContext,
  side: Side,
  script: string,
  lifetimeMs: number,
  body: (probe: ProbeConnection) => Promise<number | void>,
): Promise<void> {
  const { tally, targets } = context;
  tally.connections++;
  tally.count(tally.scripts, `${side}/${script}`);
  let probe: ProbeConnection;
  try {
    probe = await ProbeConnection.open(
      side === "registry" ? targets.registry : targets.peer,
      lifetimeMs,
    );
  } catch (error) {
    tally.connectFailures++;
    tally.finding(`${side} refused a TCP connection (${script}): ${error}`);
    return;
  }
  let plaintextReplies = Infinity;
  try {
    plaintextReplies = (await body(probe)) ?? Infinity;
    await probe.done;
  } finally {
    await probe[Symbol.asyncDispose]();
  }
  if (probe.replyProblem) tally.finding(`${side} ${probe.replyProblem} (${script})`);
  for (const payload of probe.replies.slice(0, plaintextReplies)) {
    noteAnswer(context, side, script, payload);
  }
}

function noteAnswer(context: ProbeContext, side: Side, script: string, payload: Uint8Array): void {
  try {
    const message = side === "registry"
      ? decodeMessage(payload, parseRegistryToPeer)
      : decodeMessage(payload, parseLinkHandshake);
    const key = message.type === "error"
      ? `${side}:error/${message.code}`
      : `${side}:${message.type}`;
    context.tally.count(context.tally.answers, key);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    context.tally.finding(
      `${side} answered ${script} with an invalid message: ${error.message}: ${
        decoder.decode(payload.subarray(0, 200))
      }`,
    );
  }
}

/** Writes `bytes` that hold `frames` units, counting them once they are handed over. */
async function throwFrames(
  context: ProbeContext,
  probe: ProbeConnection,
  bytes: Uint8Array,
  frames: number,
): Promise<boolean> {
  const written = await probe.write(bytes);
  if (written) context.tally.frames += frames;
  return written;
}

/**
 * True if a frame in `stream` parses as a `register` (a registry that has
 * seen a hello then spends its per-IP registration budget on it).
 */
function holdsRegister(stream: Uint8Array): boolean {
  let offset = 0;
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  while (stream.length - offset >= 4) {
    const length = view.getUint32(offset);
    if (length > stream.length - offset - 4) break;
    try {
      if (
        decodeMessage(stream.subarray(offset + 4, offset + 4 + length), parsePeerToRegistry)
          .type === "register"
      ) return true;
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
    offset += 4 + length;
  }
  return false;
}

const validHello = () =>
  encodeMessage({ type: "hello", protocol: PROTOCOL_VERSION, client: CLIENT_NAME });

async function linkHello(context: ProbeContext): Promise<Uint8Array> {
  const { rng, targets } = context;
  const ephemeral = (await newEphemeralKey()).publicKey.toBase64();
  return encodeMessage({
    type: "link_hello",
    protocol: LINK_PROTOCOL_VERSION,
    from: rng.chance(0.3) ? rng.pick(targets.victims).id : (await Identity.generate()).id,
    to: targets.peerId,
    ephemeral,
  });
}

// ---- scripts -----------------------------------------------------------------------------

/**
 * Fuzzed frames in one write, sometimes after a genuine first message so the
 * fuzz reaches the second step of the handshake. Written whole or dribbled.
 */
async function garbage(context: ProbeContext, side: Side, dribble: boolean): Promise<void> {
  const { rng, tally } = context;
  const stream: FuzzStream = fuzzStream(rng, corpusFor(side, rng), MAX_REPLY_FRAME_BYTES);
  let bytes = stream.bytes;
  let frames = stream.frames;
  if (rng.chance(0.4)) {
    bytes = concatBytes(side === "registry" ? validHello() : await linkHello(context), bytes);
    frames++;
  }
  if (side === "registry" && holdsRegister(bytes)) {
    if (tally.registerAttempts >= context.maxRegisterAttempts) return;
    tally.registerAttempts++;
  }
  await withProbe(context, side, dribble ? "dribble" : "garbage", 1000, async (probe) => {
    if (!dribble) {
      await throwFrames(context, probe, bytes, frames);
      return;
    }
    let offset = 0;
    while (offset < bytes.length && !probe.ended) {
      const size = rng.between(1, Math.max(1, Math.ceil(bytes.length / 4)));
      if (!await probe.write(bytes.subarray(offset, offset + size))) return;
      offset += size;
      await sleep(rng.between(0, 8));
    }
    if (offset >= bytes.length) tally.frames += frames;
  });
}

/**
 * A connection that says almost nothing and holds on: no bytes, part of a
 * header, a header and part of its body, or a first message and then silence.
 */
async function slowLoris(context: ProbeContext, side: Side): Promise<void> {
  const { rng } = context;
  await withProbe(context, side, "slow-loris", rng.between(400, 1200), async (probe) => {
    const roll = rng.below(4);
    if (roll === 0) return;
    const bytes = roll === 1
      ? lengthPrefix(rng.between(1, 1 << 20)).subarray(0, rng.between(1, 3))
      : roll === 2
      ? concatBytes(lengthPrefix(rng.between(100, 1 << 20)), rng.bytes(rng.between(0, 90)))
      : side === "registry"
      ? validHello()
      : await linkHello(context);
    await throwFrames(context, probe, bytes, 1);
  });
}

const NAMES = [
  "",
  ".",
  "..",
  "a".repeat(33),
  "𝒜".repeat(33),
  "x".repeat(128),
  "e\u0301",
  "\u202eevil",
  "\u200b",
  "\ud800",
  "a b",
  "a/b",
  "\u0000",
  "ａｌｉｃｅ",
  "Zoë",
  "名前",
  "🙂",
  "_-.",
];
const ADVERTISED = [
  undefined,
  undefined,
  undefined,
  "",
  ":",
  ":7070",
  "host:0",
  "[::1]:7070",
  "[zz]:1",
  "a:99999",
  "1.2.3.4:65535",
  " :1",
  "[::ffff:1.2.3.4]:80",
  `${"h".repeat(250)}:1`,
  "a:b:c",
  "x:00001",
];

/**
 * A genuine `hello`, then a `register` with hostile but well-formed fields:
 * odd names, the names and IDs of real peers, bad advertised addresses,
 * signatures by the wrong key or over the wrong nonce. When the registry
 * welcomes it, a burst of frames follows, past the per-connection rate limit.
 */
async function register(context: ProbeContext): Promise<void> {
  const { rng, tally, targets } = context;
  if (tally.registerAttempts >= context.maxRegisterAttempts) {
    return await garbage(context, "registry", false);
  }
  tally.registerAttempts++;
  const identity = await Identity.generate();
  await withProbe(context, "registry", "register", 3000, async (probe) => {
    if (!await throwFrames(context, probe, validHello(), 1)) return;
    const challenge = tryDecode(await probe.reply(0, 2000), parseRegistryToPeer);
    if (challenge?.type !== "challenge") return;
    const victim = rng.pick(targets.victims);
    const roll = rng.below(100);
    const fields = {
      id: roll < 10 ? victim.id : identity.id,
      name: roll < 20
        ? rng.pick([victim.name, victim.name.toUpperCase(), ` ${victim.name}`])
        : roll < 55
        ? rng.pick(NAMES)
        : roll < 60
        ? randomText(rng, rng.between(1, 40))
        : `fz${rng.uint32().toString(36)}`,
      listenPort: rng.pick([1, 9, 65535, rng.between(1, 65535)]),
      advertise: rng.pick(ADVERTISED),
    };
    const nonce = rng.chance(0.1) ? new Uint8Array(32).toBase64() : challenge.nonce;
    const epoch = rng.chance(0.05) ? "another-epoch" : challenge.epoch;
    const message: Record<string, unknown> = {
      ...await signedRegistration(identity, { nonce, epoch }, {
        ...fields,
        // Now and then another registry's address: a relayed challenge.
        registry: rng.chance(0.05) ? "192.0.2.1:7070" : formatNetAddr(targets.registry),
        reconnects: rng.pick([0, 1, Number.MAX_SAFE_INTEGER]),
        client: rng.pick([CLIENT_NAME, "x", "c".repeat(64), "\u202e", randomText(rng, 10) || "y"]),
      }),
    };
    if (rng.chance(0.08)) message.signature = rng.bytes(64).toBase64();
    if (rng.chance(0.15)) message[rng.pick(Object.keys(message))] = hostileValue(rng);
    if (!await throwFrames(context, probe, encodeMessage(message), 1)) return;
    const welcome = tryDecode(await probe.reply(1, 2000), parseRegistryToPeer);
    if (welcome?.type !== "welcome") return;
    tally.registrations++;
    // Registered: heartbeats and snapshot requests, often faster than allowed, then junk.
    const burst: Uint8Array[] = [];
    for (let i = rng.between(5, 160); i > 0; i--) {
      burst.push(
        rng.chance(0.8)
          ? encodeMessage({ type: "heartbeat", seq: rng.pick([0, i, Number.MAX_SAFE_INTEGER]) })
          : encodeMessage({ type: "snapshot_request" }),
      );
    }
    for (let i = rng.between(0, 3); i > 0; i--) {
      burst.push(frame(mutatedPayload(rng, REGISTRY_CORPUS).payload));
    }
    await throwFrames(context, probe, concatBytes(...burst), burst.length);
    await probe.reply(Infinity, rng.between(50, 400));
  });
}

/**
 * A `link_hello` addressed to the peer (from a fresh ID or a real peer's),
 * then hostile `link_confirm`s: the listener does its half of the key
 * exchange and must refuse what cannot prove the dialler's identity.
 */
async function handshake(context: ProbeContext): Promise<void> {
  const { rng } = context;
  const hello = await linkHello(context);
  await withProbe(context, "peer", "handshake", 1500, async (probe) => {
    if (!await throwFrames(context, probe, hello, 1)) return;
    await probe.reply(0, 1000);
    const confirms: Uint8Array[] = [];
    for (let i = rng.between(1, 3); i > 0; i--) {
      confirms.push(
        rng.chance(0.5)
          ? encodeMessage({
            type: "link_confirm",
            publicKey: rng.bytes(32).toBase64(),
            signature: rng.bytes(64).toBase64(),
            mac: rng.bytes(32).toBase64(),
          })
          : frame(mutatedPayload(rng, LINK_CORPUS).payload),
      );
    }
    await throwFrames(context, probe, concatBytes(...confirms), confirms.length);
  });
}

/** Chat texts a validator lets through and a store or a terminal may choke on. */
const HOSTILE_TEXTS = [
  undefined, // random text
  "x".repeat(16384),
  "\ud800",
  "\udfff\ud800",
  "\u0000",
  " ",
  "\n",
  "\u202eevil",
  "\u001b[2J\u001b[31mred",
  "👩‍💻".repeat(1000),
  '{"event":"message"}\n{"event":"bye"}',
];

/**
 * A complete, genuine handshake as a stranger, then sealed frames: mutated
 * link messages sealed correctly, sealed non-JSON, replays, frames from the
 * wrong place in the sequence, and bytes that are not sealed at all — often
 * after a few valid chats with hostile text, which must be acknowledged.
 * Every sealed answer is opened and must be a valid link message.
 */
async function sealed(context: ProbeContext): Promise<void> {
  const { rng, tally, targets } = context;
  const identity = await Identity.generate();
  await withProbe(context, "peer", "sealed", 1500, async (probe) => {
    const link = await dialLink(probe, identity, targets.peerId);
    if (typeof link === "string") {
      if (link !== "") tally.finding(`peer: ${link}`);
      return 1;
    }
    tally.links++;
    let counter = 0;
    if (rng.chance(0.4)) {
      // Valid chats with hostile text first: they must be stored and acknowledged.
      const chats = Array.from({ length: rng.between(1, 4) }, () => ({
        type: "chat",
        id: newMessageId(),
        text: rng.pick(HOSTILE_TEXTS) ?? randomText(rng, rng.between(1, 200)),
        sentAt: rng.pick([0, Date.now(), 8.64e15]),
        broadcast: rng.chance(0.3),
      }));
      const sealedChats = frame(
        await seal(link.send.web, counter++, encoder.encode(JSON.stringify(chats))),
      );
      await throwFrames(context, probe, sealedChats, 1);
      tally.sealedFrames++;
      // Give the acknowledgements time to come back before the junk ends the link.
      await probe.reply(1, 1000);
    }
    const frames: Uint8Array[] = [];
    for (let i = rng.between(3, 25); i > 0; i--) {
      const roll = rng.below(100);
      if (roll < 55) {
        // A batch of mutants: some still valid chats, acks and receipts.
        const batch = Array.from(
          { length: rng.between(1, 4) },
          () => decoder.decode(mutatedPayload(rng, CHAT_CORPUS).payload),
        );
        frames.push(
          frame(await seal(link.send.web, counter++, encoder.encode(`[${batch.join(",")}]`))),
        );
      } else if (roll < 70) {
        const plaintext = rng.pick([
          encoder.encode("[]"),
          encoder.encode("{}"),
          encoder.encode("[" + "[".repeat(40)),
          rng.bytes(rng.between(0, 64)),
          mutatedPayload(rng, CHAT_CORPUS).payload,
        ]);
        frames.push(frame(await seal(link.send.web, counter++, plaintext)));
      } else if (roll < 80 && frames.length > 0) {
        frames.push(rng.pick(frames));
      } else if (roll < 90) {
        frames.push(
          frame(await seal(link.send.web, counter + rng.between(1, 5), encoder.encode("[]"))),
        );
      } else {
        frames.push(frame(rng.bytes(rng.between(0, 64))));
      }
    }
    tally.sealedFrames += frames.length;
    await throwFrames(context, probe, concatBytes(...frames), frames.length);
    await probe.done;
    // Answers after the handshake are sealed for us: open them in order.
    for (const [index, payload] of probe.replies.slice(1).entries()) {
      const plaintext = await unseal(link.receive.web, index, payload);
      if (plaintext === undefined) {
        const clear = tryDecode(payload, parseLinkHandshake);
        // The listener may refuse before it has taken our confirm: a frame it
        // cannot accept arrived in the same read. Then it still speaks in the clear.
        if (index === 0 && clear?.type === "error" && probe.replies.length === 2) {
          noteAnswer(context, "peer", "sealed", payload);
          return 1;
        }
        tally.finding(
          `peer sent frame #${index} after the handshake that does not open with the link's key ` +
            `(${payload.length} bytes${clear ? `, in the clear: ${JSON.stringify(clear)}` : ""})`,
        );
        return 1;
      }
      try {
        const values = JSON.parse(decoder.decode(plaintext));
        for (const value of values) {
          const message = parseLinkMessage(value, "");
          tally.count(
            tally.answers,
            `peer:sealed ${message.type === "error" ? `error/${message.code}` : message.type}`,
          );
        }
      } catch (error) {
        tally.finding(
          `peer sealed an invalid answer: ${error}: ${decoder.decode(plaintext).slice(0, 200)}`,
        );
      }
    }
    return 1;
  });
}

// ---- the whole attack ---------------------------------------------------------------------

/** How long and how hard {@linkcode fuzzLivePorts} attacks. */
export interface LiveFuzzOptions {
  seed: number;
  /** Stop once this many frames are thrown… */
  frames: number;
  /** …or after this long. */
  timeLimitMs: number;
  /** Connections that act at once and move on (at most 100 with the slow ones). */
  fastConnections: number;
  /** Slow-loris connections held at once. */
  slowConnections: number;
  /** See {@linkcode ProbeContext.maxRegisterAttempts}. */
  maxRegisterAttempts: number;
  /** Stops early when true (a target process died, say). */
  abort: () => boolean;
}

/**
 * Runs every script against both targets, a fixed number of connections at
 * a time, until enough frames are thrown. Resolves with what happened.
 */
export async function fuzzLivePorts(
  targets: LiveTargets,
  options: LiveFuzzOptions,
): Promise<Tally> {
  const tally = new Tally();
  const started = performance.now();
  const stopped = () =>
    tally.frames >= options.frames || performance.now() - started > options.timeLimitMs ||
    tally.connectFailures > 0 || options.abort();
  const context = (index: number, maxRegisterAttempts: number): ProbeContext => ({
    rng: caseRng(options.seed, 1_000_000 + index),
    targets,
    tally,
    maxRegisterAttempts,
  });
  async function actFast(context: ProbeContext): Promise<void> {
    const { rng } = context;
    while (!stopped()) {
      const roll = rng.below(100);
      if (rng.chance(0.5)) {
        if (roll < 60) await garbage(context, "registry", false);
        else if (roll < 75) await garbage(context, "registry", true);
        else await register(context);
      } else {
        if (roll < 55) await garbage(context, "peer", false);
        else if (roll < 70) await garbage(context, "peer", true);
        else if (roll < 88) await handshake(context);
        else await sealed(context);
      }
    }
  }
  async function holdOn(context: ProbeContext): Promise<void> {
    while (!stopped()) await slowLoris(context, context.rng.chance(0.5) ? "registry" : "peer");
  }
  const results = await Promise.allSettled([
    ...Array.from(
      { length: options.fastConnections },
      (_, i) => actFast(context(i, options.maxRegisterAttempts)),
    ),
    ...Array.from(
      { length: options.slowConnections },
      (_, i) => holdOn(context(options.fastConnections + i, 0)),
    ),
  ]);
  tally.elapsedMs = performance.now() - started;
  for (const result of results) if (result.status === "rejected") throw result.reason;
  return tally;
}

// ---- a dialler built from the protocol's parts ----------------------------------------------

/**
 * The dialler's half of the link handshake. Resolves with the session keys,
 * or with why not: "" when the peer simply refused (it may, under attack), a
 * description when the peer's own proof is wrong.
 */
async function dialLink(
  probe: ProbeConnection,
  identity: Identity,
  listenerId: string,
): Promise<SessionKeys | string> {
  const ephemeral = await newEphemeralKey();
  await probe.write(encodeMessage({
    type: "link_hello",
    protocol: LINK_PROTOCOL_VERSION,
    from: identity.id,
    to: listenerId,
    ephemeral: ephemeral.publicKey.toBase64(),
  }));
  const accept = tryDecode(await probe.reply(0, 1000), parseLinkHandshake);
  // No answer, an invalid one (reported with the other answers) or a refusal.
  if (accept === undefined || accept.type === "error") return "";
  if (accept.type !== "link_accept") return `answered link_hello with ${accept.type}`;
  const listenerEphemeral = Uint8Array.fromBase64(accept.ephemeral);
  const transcript = transcriptBytes({
    diallerId: identity.id,
    listenerId,
    diallerEphemeral: ephemeral.publicKey,
    listenerEphemeral,
  });
  const keys = await deriveSessionKeys("dialler", ephemeral, listenerEphemeral, transcript);
  const publicKey = Uint8Array.fromBase64(accept.publicKey);
  const proved = accept.id === listenerId &&
    await peerIdFromPublicKey(publicKey) === listenerId &&
    await verifySignature(
      publicKey,
      Uint8Array.fromBase64(accept.signature),
      signedPart("listener", transcript),
    ) &&
    await finishedMacMatches(keys.listenerFinished, transcript, Uint8Array.fromBase64(accept.mac));
  if (!proved) return "link_accept does not prove the listener's identity";
  await probe.write(encodeMessage({
    type: "link_confirm",
    publicKey: identity.publicKeyBase64,
    signature: (await identity.sign(signedPart("dialler", transcript))).toBase64(),
    mac: (await finishedMac(keys.diallerFinished, transcript)).toBase64(),
  }));
  return keys;
}

/** The 96-bit GCM nonce of frame `counter`, as the link protocol defines it. */
function nonce(counter: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  view.setUint32(4, Math.floor(counter / 2 ** 32));
  view.setUint32(8, counter >>> 0);
  return iv;
}

async function seal(key: CryptoKey, counter: number, plaintext: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce(counter) },
      key,
      plaintext as Uint8Array<ArrayBuffer>,
    ),
  );
}

async function unseal(
  key: CryptoKey,
  counter: number,
  sealed: Uint8Array,
): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: nonce(counter) },
        key,
        sealed as Uint8Array<ArrayBuffer>,
      ),
    );
  } catch (error) {
    if (error instanceof DOMException) return undefined;
    throw error;
  }
}

/** The message in `payload`, or undefined (invalid answers are reported elsewhere). */
function tryDecode<T>(payload: Uint8Array | undefined, parse: Parser<T>): T | undefined {
  if (payload === undefined) return undefined;
  try {
    return decodeMessage(payload, parse);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
