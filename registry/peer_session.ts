/**
 * One peer's connection to the registry, from `hello` to goodbye. It speaks
 * the protocol and proves identities; what a registration means for the peer
 * list is decided by its {@linkcode SessionHost}, the registry.
 */

import {
  type ChallengeMessage,
  CLIENT_NAME,
  decodeMessage,
  flushWithin,
  formatHostPort,
  FRAME_HEADER_BYTES,
  type FrameSink,
  FrameStream,
  type FrameStreamOptions,
  type LeaveReason,
  type ListPosition,
  MessageChannel,
  parsePeerToRegistry,
  peerIdFromPublicKey,
  type PeerToRegistry,
  PROTOCOL_VERSION,
  ProtocolError,
  type RegisterMessage,
  registrationTranscript,
  type RegistryToPeer,
  type RelayDataMessage,
  type RendezvousToRegistry,
  verifySignature,
  type WelcomeMessage,
} from "../protocol/mod.ts";
import { TokenBucket } from "./limits/mod.ts";
import { checkRegistryNamed } from "./registry_address.ts";
import type { PeerRecord } from "./view.ts";

/** What a session needs from the registry it belongs to. */
export interface SessionHost {
  readonly epoch: string;
  /** `HOST:PORT` peers may name in a registration besides the address they reached. */
  readonly publicAddresses: readonly string[];
  readonly heartbeatMs: number;
  readonly evictAfter: number;
  /** Deadline for an unregistered connection to finish registering. */
  readonly registerTimeoutMs: number;
  /** Frames a connection may send per second (twice that in a burst). */
  readonly maxFramesPerSecond: number;
  /** Bytes a connection may send per second (four times that in a burst). */
  readonly maxBytesPerSecond: number;
  /**
   * A new connection arrives; throws {@linkcode ProtocolError}
   * `rate_limited` if its IP already has too many unregistered ones.
   */
  connectionOpened(session: PeerSession): void;
  /** The connection registered or ended: it no longer counts as unregistered. */
  connectionSettled(session: PeerSession): void;
  /** Throws `rate_limited` when the session's IP registered too often lately. */
  checkRegistrationRate(session: PeerSession): void;
  /**
   * Decides on a verified registration; throws (or rejects with) a
   * {@linkcode ProtocolError} to refuse. A cluster instance answers once the
   * shared table has decided.
   */
  admit(session: PeerSession, registration: RegisterMessage): PeerRecord | Promise<PeerRecord>;
  /** A registration failed its proof of identity; it is about to be refused. */
  refused(session: PeerSession, registration: RegisterMessage, error: ProtocolError): void;
  heartbeat(session: PeerSession): void;
  /**
   * Send the session the peer list, then deltas: a snapshot, or (when the
   * registry still holds them) the deltas after `resume`.
   */
  requestSnapshot(session: PeerSession, resume?: ListPosition): void;
  /** A cluster's live instances, for the welcome; absent for a single registry. */
  clusterInstances?(): string[];
  /** The session's peer left (no-op if the session no longer owns its ID). */
  depart(session: PeerSession, reason: LeaveReason): void;
  /** A frame or message was refused; the connection is about to close. */
  rejected(session: PeerSession, error: ProtocolError): void;
  /** A bug (not the peer's fault) ended the session; it is about to close. */
  failed(session: PeerSession, error: unknown): void;
  /** The session is over and its connection closed; called once, last. */
  ended(session: PeerSession): void;
  /**
   * A hole punching or relay message from the registered peer. False for
   * `relay_data` outside an open circuit, which is then charged like any
   * other frame (a circuit's bytes are limited by the circuit's rate).
   */
  rendezvous(session: PeerSession, message: RendezvousToRegistry): boolean;
}

/** Goodbyes are short: a peer that does not read gets this long, then is cut. */
const GOODBYE_FLUSH_MS = 500;

/** Runs one connection through registration and then serves it. */
export class PeerSession implements FrameSink {
  readonly channel: MessageChannel<PeerToRegistry, RegistryToPeer>;
  readonly #host: SessionHost;
  /** The registered peer's ID, once registration succeeded. */
  peerId: string | undefined;
  #timedOut = false;
  #settled = false;
  #finished = false;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  readonly #frames: TokenBucket;
  readonly #bytes: TokenBucket;

  constructor(conn: Deno.Conn, host: SessionHost, streamOptions: FrameStreamOptions = {}) {
    this.channel = new MessageChannel(new FrameStream(conn, streamOptions), parsePeerToRegistry);
    this.#host = host;
    this.#frames = new TokenBucket(host.maxFramesPerSecond, host.maxFramesPerSecond * 2);
    this.#bytes = new TokenBucket(host.maxBytesPerSecond, host.maxBytesPerSecond * 4);
  }

  /** The IP this connection comes from (IPv4-mapped IPv6 unwrapped). */
  get remoteHost(): string {
    return this.channel.stream.remoteAddr.hostname.replace(/^::ffff:(?=\d+\.)/, "");
  }

  /**
   * Serves the connection until it ends, then tells the host
   * ({@linkcode SessionHost.ended}); never throws for the peer's faults.
   * Registration awaits its two messages; a registered session is served by
   * callbacks, so an idle one waits on nothing but its socket's one read.
   */
  start(): void {
    this.#deadline = setTimeout(() => {
      this.#timedOut = true;
      const error = new ProtocolError(
        "timeout",
        `Registration not completed within ${this.#host.registerTimeoutMs} ms`,
      );
      this.#host.rejected(this, error);
      void this.channel.refuse(error);
    }, this.#host.registerTimeoutMs);
    try {
      this.#host.connectionOpened(this);
    } catch (error) {
      return this.#fail(error);
    }
    this.#register().then((registered) => {
      this.#clearDeadline();
      this.#settle();
      if (!registered) return this.#finish();
      this.channel.stream.deliverFrames(this);
    }, (error) => this.#fail(error));
  }

  /** Ends the session for `error`: a fault of the peer's is told to it, a bug goes to the host. */
  #fail(error: unknown): void {
    if (!(error instanceof ProtocolError)) {
      this.#host.failed(this, error);
      return this.#finish();
    }
    if (this.#timedOut || this.channel.stream.closed) return this.#finish();
    this.#host.rejected(this, error);
    this.channel.refuse(error).finally(() => this.#finish());
  }

  /** The registered peer's frames ended (called by the session's own stream only). */
  framesEnded(error: unknown): void {
    if (error === null) this.#finish();
    else this.#fail(error);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearDeadline();
    this.#settle();
    this.channel.close();
    if (this.peerId !== undefined) this.#host.depart(this, "timeout");
    this.#host.ended(this);
  }

  #clearDeadline(): void {
    clearTimeout(this.#deadline);
    // A cleared timer is still an object (Deno's timers are Node's): not one kept per peer.
    this.#deadline = undefined;
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#host.connectionSettled(this);
  }

  /** The next message while registering, within this connection's frame budget. */
  async #receive(): Promise<PeerToRegistry | null> {
    const payload = await this.channel.stream.readFrame();
    return payload === null ? null : this.#decode(payload);
  }

  /** A frame's message, within this connection's frame budget. */
  #decode(payload: Uint8Array): PeerToRegistry {
    // Counted before decoding: a flood must not cost the parsing it refuses.
    // Relay bytes are the exception: the circuit they belong to paces them
    // (its rate and window, registry/rendezvous/); outside one they are
    // charged like anything else (see #serve).
    const relayed = startsWith(payload, RELAY_DATA_PREFIX);
    if (!relayed) this.#charge(payload.length);
    const message = decodeMessage(payload, parsePeerToRegistry);
    if (relayed && message.type !== "relay_data") this.#charge(payload.length);
    return message;
  }

  /** Takes a frame of `payloadBytes` from this connection's budgets, or refuses it. */
  #charge(payloadBytes: number): void {
    if (!this.#frames.take()) {
      throw new ProtocolError(
        "rate_limited",
        `More than ${this.#host.maxFramesPerSecond} frames per second on this connection`,
      );
    }
    if (!this.#bytes.take(payloadBytes + FRAME_HEADER_BYTES)) {
      throw new ProtocolError(
        "rate_limited",
        `More than ${this.#host.maxBytesPerSecond} bytes per second on this connection`,
      );
    }
  }

  /** `HOST:PORT` the connection comes from, as observed (a NAT's public mapping). */
  get observedAddress(): string {
    return formatHostPort({ hostname: this.remoteHost, port: this.channel.stream.remoteAddr.port });
  }

  /** Queues a message for the peer. */
  send(message: RegistryToPeer): void {
    this.channel.send(message);
  }

  /** Bytes queued for the peer, not yet handed to the kernel. */
  get backlogBytes(): number {
    return this.channel.stream.queuedBytes;
  }

  /** Resolves once everything queued for the peer is handed to the kernel. */
  flushed(): Promise<void> {
    return this.channel.stream.flushed();
  }

  /** Writes a frame encoded once for many sessions. */
  sendEncoded(frame: Uint8Array): void {
    this.channel.sendEncoded(frame);
  }

  /** Tells the peer why it is being let go, then closes. */
  async sayGoodbye(reason: "shutdown" | "kicked"): Promise<void> {
    this.channel.send({ type: "bye", reason });
    await flushWithin(this.channel.stream, GOODBYE_FLUSH_MS);
    this.channel.close();
  }

  /** Closes without a word (replaced by a newer session, or evicted). */
  close(): void {
    this.channel.close();
  }

  async #register(): Promise<boolean> {
    const hello = await this.#receive();
    if (hello === null) return false;
    if (hello.type !== "hello") throw unexpected(hello.type, "hello");
    if (hello.protocol !== PROTOCOL_VERSION) {
      throw new ProtocolError(
        "unsupported_version",
        `Protocol version ${hello.protocol} is not supported; this registry speaks version ${PROTOCOL_VERSION}`,
      );
    }
    const nonce = crypto.getRandomValues(new Uint8Array(32)).toBase64();
    const epoch = this.#host.epoch;
    const challenge: ChallengeMessage = {
      type: "challenge",
      protocol: PROTOCOL_VERSION,
      nonce,
      epoch,
      registry: CLIENT_NAME,
    };
    this.channel.send(challenge);

    const registration = await this.#receive();
    if (registration === null) return false;
    if (registration.type !== "register") throw unexpected(registration.type, "register");
    this.#host.checkRegistrationRate(this);
    try {
      await verifyRegistration(nonce, registration);
      checkRegistryNamed(registration, {
        arrivedAt: this.channel.stream.localAddr,
        publicAddresses: this.#host.publicAddresses,
        epoch,
      });
    } catch (error) {
      if (error instanceof ProtocolError) this.#host.refused(this, registration, error);
      throw error;
    }
    if (this.#timedOut || this.channel.stream.closed) return false; // the deadline passed meanwhile
    const admitted = this.#host.admit(this, registration);
    // A single registry decides at once: no extra turn, so the welcome and
    // the first snapshot still share the flush that announces the join.
    const record = admitted instanceof Promise ? await admitted : admitted;
    this.peerId = record.id;
    const welcome: WelcomeMessage = {
      type: "welcome",
      id: record.id,
      name: record.name,
      address: record.address,
      epoch: this.#host.epoch,
      heartbeatMs: this.#host.heartbeatMs,
      evictAfter: this.#host.evictAfter,
    };
    const instances = this.#host.clusterInstances?.();
    if (instances) welcome.instances = instances;
    this.channel.send(welcome);
    this.#host.requestSnapshot(this, registration.resume);
    return true;
  }

  /**
   * Handles one frame from the registered peer; false once the session is
   * over. Called by the session's own stream only (a {@linkcode FrameSink}:
   * the session itself, so an idle one keeps no closures of its own).
   */
  frameArrived(payload: Uint8Array): boolean {
    const message = this.#decode(payload);
    switch (message.type) {
      case "heartbeat":
        this.#host.heartbeat(this);
        this.channel.send({ type: "heartbeat_ack", seq: message.seq });
        return true;
      case "snapshot_request": {
        const { epoch, seq } = message;
        this.#host.requestSnapshot(
          this,
          epoch !== undefined && seq !== undefined ? { epoch, seq } : undefined,
        );
        return true;
      }
      case "bye":
        this.#host.depart(this, "bye");
        this.peerId = undefined;
        return false;
      case "error":
        // The peer refused something we sent; it closes next. Nothing to answer.
        return false;
      case "relay_data":
        // Not charged on arrival; charged now unless an open circuit of
        // this peer's took it (the circuit paces its own bytes).
        if (!this.#host.rendezvous(this, message)) this.#charge(relayDataBytes(message));
        return true;
      case "punch_request":
      case "punch_result":
      case "relay_open":
      case "relay_accept":
      case "relay_close":
        this.#host.rendezvous(this, message);
        return true;
      default:
        throw unexpected(message.type, "heartbeat, snapshot_request or bye");
    }
  }
}

/** Checks that the registrant holds the key its ID is derived from. */
async function verifyRegistration(nonce: string, registration: RegisterMessage): Promise<void> {
  const publicKey = Uint8Array.fromBase64(registration.publicKey);
  const expectedId = await peerIdFromPublicKey(publicKey);
  if (expectedId !== registration.id) {
    throw new ProtocolError(
      "id_mismatch",
      `Peer ID ${registration.id} does not belong to the public key presented (its ID is ${expectedId})`,
    );
  }
  const signature = Uint8Array.fromBase64(registration.signature);
  if (!await verifySignature(publicKey, signature, registrationTranscript(nonce, registration))) {
    throw new ProtocolError(
      "bad_signature",
      `Registration signature does not verify with the key of ${registration.id}`,
    );
  }
}

function unexpected(got: string, expected: string): ProtocolError {
  return new ProtocolError(
    "unexpected_message",
    `Unexpected "${got}" message; expected ${expected}`,
  );
}

/** How a `relay_data` payload starts as peers encode it (`type` first). */
const RELAY_DATA_PREFIX = new TextEncoder().encode('{"type":"relay_data"');

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** About the payload size of a `relay_data` message, to charge one outside a circuit. */
function relayDataBytes(message: RelayDataMessage): number {
  return message.data.length + message.circuit.length + 40;
}
