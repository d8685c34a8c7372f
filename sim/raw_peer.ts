/**
 * The simulated peer of the registry tests and the benchmarks: it speaks the
 * real registry protocol (frames, validated messages, signed registration)
 * but nothing else — no direct links, no reconnects, no timers of its own.
 * Every step is exposed, so a test can also send what a real peer never
 * would: a signature made with the wrong key, an ID that is not its own, or
 * raw bytes. For load, {@linkcode RawPeerOptions.reading} trades what it
 * keeps for speed, so thousands fit in a benchmark worker.
 *
 * @example
 * ```ts
 * await using alice = await RawPeer.connect(registryAddress, { trackPeers: true });
 * const welcome = await alice.register({ name: "alice", listenPort: 4000 });
 * await alice.waitForPeers((peers) => peers.size === 2);
 * ```
 */

import { Notifier } from "../async/mod.ts";
import {
  CLIENT_NAME,
  decodeMessage,
  encodeMessage,
  type ErrorMessage,
  formatNetAddr,
  FrameStream,
  type HostPort,
  type ListPosition,
  parseRegistryToPeer,
  type PeerInfo,
  type PeerToRegistry,
  PROTOCOL_VERSION,
  ProtocolError,
  type RegisterMessage,
  type RegistryToPeer,
  signedRegistration,
  type WelcomeMessage,
} from "../protocol/mod.ts";
import { Identity } from "../peer/mod.ts";
import { skimFrames } from "./frame_skimmer.ts";
import { PeerList, type RegistryMessageOf } from "./peer_list.ts";

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * What a {@linkcode RawPeer} does with what the registry sends once it is
 * registered (until then every message is validated and kept, for the
 * registration steps):
 * - `everything` (default): every message is validated, kept in
 *   {@linkcode RawPeer.messages} and offered to {@linkcode RawPeer.next}.
 * - `list`: messages are parsed but not validated (a real peer validates on
 *   its own machine; here a thousand peers share one thread) and only the
 *   peer list is kept, repaired from a fresh snapshot after a gap.
 * - `entries`: nothing is parsed: peer entries are counted
 *   ({@linkcode RawPeer.entriesSeen}), which is exact only while nobody
 *   leaves.
 * - `bytes`: frames are passed over unread; bytes and heartbeat
 *   acknowledgements are counted, so ten thousand fit beside a registry on
 *   two cores.
 */
export type RawPeerReading = "everything" | "list" | "entries" | "bytes";

/** Options for {@linkcode RawPeer.connect}. */
export interface RawPeerOptions {
  /**
   * Keep a {@linkcode PeerList} current from snapshots and deltas. Costs one
   * map of the whole list per peer. Always on with `reading: "list"`.
   */
  trackPeers?: boolean;
  /** What to keep of the registry's messages once registered. Default `everything`. */
  reading?: RawPeerReading;
  /** The identity to connect as. Default: a fresh one. */
  identity?: Identity;
  /** A label for failure messages. */
  label?: string;
}

/** What {@linkcode RawPeer.register} sends; everything but `name` has a default. */
export interface RegisterOptions {
  name: string;
  /** Port the peer claims to accept direct links on. Default 9 ("discard"). */
  listenPort?: number;
  /** The identity to register as. Default: the peer's own {@linkcode RawPeer.identity}. */
  identity?: Identity;
  /** Sign with this identity instead (a wrong key, for negative tests). */
  signWith?: Identity;
  /** Claim this ID instead of the identity's own (for negative tests). */
  id?: string;
  /** Present this base64 public key instead of the identity's. */
  publicKey?: string;
  /** Present this base64 signature instead of a computed one. */
  signature?: string;
  advertise?: string;
  /** The registry address to sign. Default: the one this connection reached. */
  registry?: string;
  /** The challenge epoch to sign. Default: the challenge's own. */
  epoch?: string;
  reconnects?: number;
  client?: string;
  /** Where this peer's list stood (for a registry that can send just what it missed). */
  resume?: ListPosition;
}

/** The registry answered a registration step with an `error` frame. */
export class RegistrationRefused extends Error {
  readonly code: string;
  readonly refusal: ErrorMessage;

  constructor(refusal: ErrorMessage) {
    super(`Registry refused with ${refusal.code}: ${refusal.message}`);
    this.name = this.constructor.name;
    this.code = refusal.code;
    this.refusal = refusal;
  }
}

/** A lean, scriptable registry client over one TCP connection. */
export class RawPeer implements AsyncDisposable {
  readonly stream: FrameStream;
  /** The peer's own key pair (generated on connect unless given). */
  readonly identity: Identity;
  readonly label: string;
  /** Every message received, in order (with `reading: "everything"`). */
  readonly messages: RegistryToPeer[] = [];
  /** The rebuilt peer list, with `trackPeers` or `reading: "list"`. */
  readonly peerList: PeerList | undefined;
  /** Resolves when the connection has ended, whoever ended it. */
  readonly closed: Promise<void>;
  /** Why the read loop stopped, if not a clean end of stream. */
  readError: unknown;
  /** When the welcome arrived (`performance.now()`); 0 before. */
  registeredAt = 0;
  /** Heartbeat acknowledgements received. */
  heartbeatsAcked = 0;
  /** With `reading: "entries"`: peer entries received (its own included), and when the last came. */
  entriesSeen = 0;
  lastEntryAt = 0;
  /** With `reading: "entries"`: the first snapshot has been received whole. */
  snapshotSeen = false;
  readonly #conn: Deno.TcpConn;
  readonly #reading: RawPeerReading;
  readonly #changes = new Notifier();
  #inbox: RegistryToPeer[] = [];
  #ended = false;
  #heartbeatSeq = 0;
  #skimmed = 0;
  #challenge: RegistryMessageOf<"challenge"> | undefined;

  private constructor(conn: Deno.TcpConn, identity: Identity, options: RawPeerOptions) {
    this.#conn = conn;
    this.#reading = options.reading ?? "everything";
    // Registry traffic is small frames, so thousands of simulated peers stay
    // cheap; a peer that reads whole lists under load reads more at a time.
    const loaded = this.#reading === "list" || this.#reading === "entries";
    this.stream = new FrameStream(conn, { readBufferBytes: loaded ? 64 * 1024 : 4096 });
    this.identity = identity;
    this.label = options.label ?? "raw peer";
    this.peerList = options.trackPeers || this.#reading === "list"
      ? new PeerList({ resync: this.#reading === "list" })
      : undefined;
    this.closed = this.#readLoop();
  }

  /** Opens a TCP connection to the registry; nothing is sent yet. */
  static async connect(address: HostPort, options: RawPeerOptions = {}): Promise<RawPeer> {
    const identity = options.identity ?? await Identity.generate();
    const conn = await Deno.connect({ hostname: address.hostname, port: address.port });
    conn.setNoDelay(true);
    return new RawPeer(conn, identity, options);
  }

  /**
   * Connects, registers as `name` and waits for the first peer list (except
   * with `reading: "bytes"`, which does not read it): a peer that is online.
   */
  static async join(
    address: HostPort,
    name: string,
    options: RawPeerOptions & { timeoutMs?: number } = {},
  ): Promise<RawPeer> {
    const peer = await RawPeer.connect(address, { label: name, ...options });
    try {
      await peer.register({ name, timeoutMs: options.timeoutMs });
      if (peer.#reading === "entries") {
        await peer.until(() => peer.snapshotSeen || undefined, "a snapshot", options.timeoutMs);
      } else if (peer.peerList) {
        await peer.waitForPeers(() => true, options.timeoutMs);
      }
    } catch (error) {
      await peer.close();
      throw error;
    }
    return peer;
  }

  /** True once the connection has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes received from the registry so far. */
  get bytesRead(): number {
    return this.stream.bytesRead + this.#skimmed;
  }

  /** The challenge received by {@linkcode hello}, if any. */
  get challenge(): RegistryMessageOf<"challenge"> | undefined {
    return this.#challenge;
  }

  /** Sends `hello` and waits for the challenge. Throws {@linkcode RegistrationRefused}. */
  async hello(
    options: { protocol?: number; client?: string; timeoutMs?: number } = {},
  ): Promise<RegistryMessageOf<"challenge">> {
    await this.send({
      type: "hello",
      protocol: options.protocol ?? PROTOCOL_VERSION,
      client: options.client ?? CLIENT_NAME,
    });
    this.#challenge = await this.#answer("challenge", options.timeoutMs);
    return this.#challenge;
  }

  /**
   * Builds a signed `register` message for the challenge already received,
   * honouring every override in `options`.
   */
  async registration(options: RegisterOptions): Promise<RegisterMessage> {
    if (this.#challenge === undefined) throw new Error(`${this.label}: register before hello`);
    const identity = options.identity ?? this.identity;
    const challenge = { ...this.#challenge, epoch: options.epoch ?? this.#challenge.epoch };
    const message = await signedRegistration(options.signWith ?? identity, challenge, {
      registry: options.registry ?? formatNetAddr(this.stream.remoteAddr),
      id: options.id ?? identity.id,
      name: options.name,
      listenPort: options.listenPort ?? 9,
      advertise: options.advertise,
      reconnects: options.reconnects,
      client: options.client,
      resume: options.resume,
    });
    message.publicKey = options.publicKey ?? identity.publicKeyBase64;
    if (options.signature !== undefined) message.signature = options.signature;
    return message;
  }

  /**
   * The whole handshake: hello (unless done), register, welcome. Throws
   * {@linkcode RegistrationRefused} when the registry answers with an error.
   */
  async register(options: RegisterOptions & { timeoutMs?: number }): Promise<WelcomeMessage> {
    if (this.#challenge === undefined) await this.hello({ timeoutMs: options.timeoutMs });
    await this.send(await this.registration(options));
    return await this.#answer("welcome", options.timeoutMs);
  }

  /** Sends a heartbeat without waiting; returns its sequence number. */
  sendHeartbeat(): number {
    const seq = ++this.#heartbeatSeq;
    this.stream.writeFrame(encodeMessage({ type: "heartbeat", seq }));
    return seq;
  }

  /** Sends a heartbeat and waits for the acknowledgement with the same `seq`. */
  async heartbeat(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RegistryMessageOf<"heartbeat_ack">> {
    const seq = this.sendHeartbeat();
    return await this.next("heartbeat_ack", timeoutMs, (ack) => ack.seq === seq);
  }

  /** Sends one message (any shape: validity is the registry's business). */
  async send(message: PeerToRegistry | Record<string, unknown>): Promise<void> {
    this.stream.writeFrame(encodeMessage(message));
    await this.stream.flushed();
  }

  /** Writes `bytes` exactly as given: no frame header is added. */
  async sendRaw(bytes: Uint8Array): Promise<void> {
    this.stream.writeFrame(bytes);
    await this.stream.flushed();
  }

  /**
   * Takes the oldest not yet taken message of `type` (that satisfies `where`),
   * waiting up to `timeoutMs`. Other messages stay available. Rejects when the
   * connection ends first.
   */
  async next<T extends RegistryToPeer["type"]>(
    type: T,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    where?: (message: RegistryMessageOf<T>) => boolean,
  ): Promise<RegistryMessageOf<T>> {
    return await this.until(
      () => {
        const index = this.#inbox.findIndex((message) =>
          message.type === type && (where?.(message as RegistryMessageOf<T>) ?? true)
        );
        if (index < 0) return undefined;
        return this.#inbox.splice(index, 1)[0] as RegistryMessageOf<T>;
      },
      `a "${type}" message`,
      timeoutMs,
    );
  }

  /** Messages received but not taken by {@linkcode next}, oldest first. */
  pending(type?: RegistryToPeer["type"]): RegistryToPeer[] {
    return type === undefined ? [...this.#inbox] : this.#inbox.filter((m) => m.type === type);
  }

  /** Drops untaken messages (of `type`, or all), e.g. acks nobody waits for. */
  discard(type?: RegistryToPeer["type"]): void {
    this.#inbox = type === undefined ? [] : this.#inbox.filter((m) => m.type !== type);
  }

  /** Waits until the tracked peer list satisfies `test` (needs `trackPeers`). */
  async waitForPeers(
    test: (peers: Map<string, PeerInfo>) => boolean,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<Map<string, PeerInfo>> {
    const list = this.peerList;
    if (list === undefined) throw new Error(`${this.label}: connect with trackPeers`);
    return await this.until(
      () => {
        if (list.problem !== undefined) {
          throw new Error(`${this.label}: inconsistent peer list: ${list.problem}`);
        }
        return list.epoch !== undefined && test(list.peers) ? list.peers : undefined;
      },
      "the peer list to match",
      timeoutMs,
    );
  }

  /** Resolves once the connection has ended; rejects if it is still open after `timeoutMs`. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.until(() => this.#ended || undefined, "the connection to close", timeoutMs, true);
  }

  /**
   * Re-checks `test` after every received message until it returns a value.
   * Rejects after `timeoutMs`, or when the connection ends (unless `afterEnd`).
   */
  async until<T>(
    test: () => T | undefined,
    what: string,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    afterEnd = false,
  ): Promise<T> {
    const found = await this.#changes.until(() => {
      const value = test();
      if (value === undefined && this.#ended && !afterEnd) {
        throw this.#failure(`connection ended before ${what}`);
      }
      return value;
    }, timeoutMs);
    if (found === undefined) {
      throw this.#failure(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    return found;
  }

  /** Says bye, then closes and waits for the read loop to finish. */
  async leave(): Promise<void> {
    await this.send({ type: "bye" });
    await this.close();
  }

  /** Closes the connection and waits for the read loop to finish. */
  async close(): Promise<void> {
    this.stream.close();
    await this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #answer<T extends "challenge" | "welcome">(
    type: T,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<RegistryMessageOf<T>> {
    const answer = await this.until(
      () => this.#inbox.find((m) => m.type === type || m.type === "error"),
      `a "${type}" or "error" message`,
      timeoutMs,
    );
    this.#inbox.splice(this.#inbox.indexOf(answer), 1);
    if (answer.type === "error") throw new RegistrationRefused(answer);
    return answer as RegistryMessageOf<T>;
  }

  async #readLoop(): Promise<void> {
    try {
      while (true) {
        const registered = this.registeredAt > 0;
        if (registered && this.#reading === "bytes") return await this.#skim();
        const payload = await this.stream.readFrame();
        if (payload === null) break;
        if (!registered || this.#reading === "everything") {
          this.#receive(decodeMessage(payload, parseRegistryToPeer));
        } else if (this.#reading === "list") {
          this.#receive(JSON.parse(textOf(payload)) as RegistryToPeer);
        } else {
          this.#count(textOf(payload));
        }
        this.#changes.notify();
      }
    } catch (error) {
      // The registry sent something invalid: that is a finding, kept for the test.
      if (!(error instanceof ProtocolError)) throw error;
      this.readError = error;
      this.stream.close();
    } finally {
      this.#ended = true;
      this.#changes.notify();
    }
  }

  #receive(message: RegistryToPeer): void {
    // Until the welcome, every message is kept: registration waits for it.
    if (this.registeredAt === 0 || this.#reading === "everything") {
      this.messages.push(message);
      this.#inbox.push(message);
    }
    if (message.type === "welcome") this.registeredAt = performance.now();
    if (message.type === "heartbeat_ack") this.heartbeatsAcked++;
    if (this.peerList?.apply(message)) this.stream.writeFrame(SNAPSHOT_REQUEST);
  }

  /** `entries`: one substring scan per frame instead of a parse. */
  #count(text: string): void {
    let entries = 0;
    for (let at = text.indexOf('"address":'); at >= 0; at = text.indexOf('"address":', at + 10)) {
      entries++;
    }
    if (entries > 0) {
      this.entriesSeen += entries;
      this.lastEntryAt = performance.now();
    }
    if (text.startsWith('{"type":"snapshot"') && text.includes('"more":false')) {
      this.snapshotSeen = true;
    }
    if (text.length < 64 && text.includes('"heartbeat_ack"')) this.heartbeatsAcked++;
  }

  /** `bytes`: reads the socket directly, looking only at small frames (acks). */
  async #skim(): Promise<void> {
    await skimFrames(this.#conn, {
      onBytes: (count) => this.#skimmed += count,
      onFrame: (small) => {
        if (small && textOf(small).includes('"heartbeat_ack"')) this.heartbeatsAcked++;
      },
    });
  }

  #failure(message: string): Error {
    const received = this.messages.slice(-10).map((m) => JSON.stringify(m).slice(0, 200));
    const readError = this.readError ? `\n--- read error: ${this.readError}` : "";
    return new Error(
      `${this.label}: ${message}\n--- last messages received:\n${received.join("\n")}${readError}`,
    );
  }
}

const SNAPSHOT_REQUEST = encodeMessage({ type: "snapshot_request" });
const decoder = new TextDecoder();

function textOf(payload: Uint8Array): string {
  return decoder.decode(payload);
}

/**
 * Heartbeats every open peer in `peers` every `intervalMs` with one timer for
 * all of them; their acknowledgements are discarded. Stop it with `using`.
 */
export function keepAlive(peers: Iterable<RawPeer>, intervalMs: number): Disposable {
  const list = [...peers];
  const timer = setInterval(function beatAll() {
    for (const peer of list) {
      if (peer.ended) continue;
      peer.discard("heartbeat_ack");
      peer.sendHeartbeat();
    }
  }, intervalMs);
  return {
    [Symbol.dispose]() {
      clearInterval(timer);
    },
  };
}
