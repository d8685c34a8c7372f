/**
 * A simulated peer for registry tests and benchmarks: it speaks the real
 * registry protocol (frames, validated messages, signed registration) but
 * nothing else — no direct links, no reconnects, no timers of its own. Every
 * step is exposed, so a test can also send what a real peer never would: a
 * signature made with the wrong key, an ID that is not its own, or raw bytes.
 *
 * @example
 * ```ts
 * await using alice = await RawPeer.connect(registryAddress, { trackPeers: true });
 * const welcome = await alice.register({ name: "alice", listenPort: 4000 });
 * await alice.waitForPeers((peers) => peers.size === 2);
 * ```
 */

import {
  CLIENT_NAME,
  decodeMessage,
  encodeMessage,
  type ErrorMessage,
  FrameStream,
  type HostPort,
  parseRegistryToPeer,
  type PeerInfo,
  type PeerToRegistry,
  PROTOCOL_VERSION,
  ProtocolError,
  type RegisterMessage,
  registrationTranscript,
  type RegistryToPeer,
  type WelcomeMessage,
} from "../../protocol/mod.ts";
import { Identity } from "../../peer/mod.ts";

const DEFAULT_TIMEOUT_MS = 5000;
// Registry traffic is small frames; thousands of simulated peers stay cheap.
const READ_BUFFER_BYTES = 4096;

/** A registry message of one `type`. */
export type RegistryMessageOf<T extends RegistryToPeer["type"]> = Extract<
  RegistryToPeer,
  { type: T }
>;

/** Options for {@linkcode RawPeer.connect}. */
export interface RawPeerOptions {
  /**
   * Keep a {@linkcode PeerList} current from snapshots and deltas. Costs one
   * map of the whole list per peer, so large benchmarks may leave it off.
   */
  trackPeers?: boolean;
  /** Keep every received message in {@linkcode RawPeer.messages}. Default true. */
  keepHistory?: boolean;
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
  reconnects?: number;
  client?: string;
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

/**
 * The peer list as one peer rebuilds it: a snapshot (possibly in chunks),
 * then deltas that must follow it with consecutive sequence numbers in the
 * same epoch. Anything else is recorded in {@linkcode problem}.
 */
export class PeerList {
  readonly peers = new Map<string, PeerInfo>();
  epoch: string | undefined;
  /** Sequence number of the last snapshot or delta applied. */
  seq = -1;
  snapshots = 0;
  deltas = 0;
  /** The first inconsistency seen; later messages are ignored once set. */
  problem: string | undefined;
  #chunks: Map<string, PeerInfo> | undefined;

  /** Applies a registry message; messages that are not about the list are ignored. */
  apply(message: RegistryToPeer): void {
    if (this.problem !== undefined) return;
    if (message.type === "snapshot") this.#applySnapshot(message);
    else if (message.type === "peers_delta") this.#applyDelta(message);
  }

  #applySnapshot(message: RegistryMessageOf<"snapshot">): void {
    this.#chunks ??= new Map();
    for (const peer of message.peers) this.#chunks.set(peer.id, peer);
    if (message.more) return;
    this.peers.clear();
    for (const [id, peer] of this.#chunks) this.peers.set(id, peer);
    this.#chunks = undefined;
    this.epoch = message.epoch;
    this.seq = message.seq;
    this.snapshots++;
  }

  #applyDelta(message: RegistryMessageOf<"peers_delta">): void {
    this.deltas++;
    if (this.epoch === undefined) {
      this.problem = `delta seq ${message.seq} arrived before any snapshot`;
      return;
    }
    if (message.epoch !== this.epoch) {
      this.problem = `delta from epoch ${message.epoch} while in epoch ${this.epoch}`;
      return;
    }
    if (message.seq !== this.seq + 1) {
      this.problem = `delta seq ${message.seq} does not follow seq ${this.seq}`;
      return;
    }
    this.seq = message.seq;
    for (const change of message.changes) {
      if (change.op === "left") {
        if (!this.peers.delete(change.id)) {
          this.problem = `seq ${message.seq}: ${change.id} left but was not listed`;
        }
      } else if ((change.op === "joined") === this.peers.has(change.peer.id)) {
        this.problem = `seq ${message.seq}: ${change.peer.id} ${change.op} but was ` +
          (change.op === "joined" ? "already listed" : "not listed");
      } else {
        this.peers.set(change.peer.id, change.peer);
      }
    }
  }
}

/** A lean, scriptable registry client over one TCP connection. */
export class RawPeer implements AsyncDisposable {
  readonly stream: FrameStream;
  /** The peer's own key pair (generated on connect unless given). */
  readonly identity: Identity;
  readonly label: string;
  /** Every message received, in order (unless `keepHistory: false`). */
  readonly messages: RegistryToPeer[] = [];
  /** The rebuilt peer list, with `trackPeers`. */
  readonly peerList: PeerList | undefined;
  /** Resolves when the connection has ended, whoever ended it. */
  readonly closed: Promise<void>;
  /** Why the read loop stopped, if not a clean end of stream. */
  readError: unknown;
  #inbox: RegistryToPeer[] = [];
  #waiters = new Set<() => void>();
  #ended = false;
  #heartbeatSeq = 0;
  #challenge: RegistryMessageOf<"challenge"> | undefined;
  readonly #keepHistory: boolean;

  private constructor(conn: Deno.TcpConn, identity: Identity, options: RawPeerOptions) {
    this.stream = new FrameStream(conn, { readBufferBytes: READ_BUFFER_BYTES });
    this.identity = identity;
    this.label = options.label ?? "raw peer";
    this.peerList = options.trackPeers ? new PeerList() : undefined;
    this.#keepHistory = options.keepHistory ?? true;
    this.closed = this.#readLoop();
  }

  /** Opens a TCP connection to the registry; nothing is sent yet. */
  static async connect(
    address: HostPort,
    options: RawPeerOptions & { identity?: Identity } = {},
  ): Promise<RawPeer> {
    const identity = options.identity ?? await Identity.generate();
    const conn = await Deno.connect({ hostname: address.hostname, port: address.port });
    conn.setNoDelay(true);
    return new RawPeer(conn, identity, options);
  }

  /** True once the connection has ended. */
  get ended(): boolean {
    return this.#ended;
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
    const fields = {
      id: options.id ?? identity.id,
      name: options.name,
      listenPort: options.listenPort ?? 9,
      advertise: options.advertise,
    };
    const signature = options.signature ??
      (await (options.signWith ?? identity).sign(
        registrationTranscript(this.#challenge.nonce, fields),
      )).toBase64();
    const message: RegisterMessage = {
      type: "register",
      ...fields,
      publicKey: options.publicKey ?? identity.publicKeyBase64,
      reconnects: options.reconnects ?? 0,
      client: options.client ?? CLIENT_NAME,
      signature,
    };
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
    const deadline = Date.now() + timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: () => void = () => {};
    try {
      while (true) {
        const found = test();
        if (found !== undefined) return found;
        if (this.#ended && !afterEnd) throw this.#failure(`connection ended before ${what}`);
        const left = deadline - Date.now();
        if (left <= 0) throw this.#failure(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          this.#waiters.add(wake);
          timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
        this.#waiters.delete(wake);
      }
    } finally {
      clearTimeout(timer);
      this.#waiters.delete(wake);
    }
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
        const payload = await this.stream.readFrame();
        if (payload === null) break;
        const message = decodeMessage(payload, parseRegistryToPeer);
        if (this.#keepHistory) this.messages.push(message);
        this.#inbox.push(message);
        this.peerList?.apply(message);
        for (const wake of this.#waiters) wake();
      }
    } catch (error) {
      // The registry sent something invalid: that is a finding, kept for the test.
      if (!(error instanceof ProtocolError)) throw error;
      this.readError = error;
      this.stream.close();
    } finally {
      this.#ended = true;
      for (const wake of this.#waiters) wake();
    }
  }

  #failure(message: string): Error {
    const received = this.messages.slice(-10).map((m) => JSON.stringify(m).slice(0, 200));
    const readError = this.readError ? `\n--- read error: ${this.readError}` : "";
    return new Error(
      `${this.label}: ${message}\n--- last messages received:\n${received.join("\n")}${readError}`,
    );
  }
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
