/**
 * Links to other peers: accepts incoming ones, dials outgoing ones on first
 * use — directly, else through a hole punch, else through the registry's
 * relay, as `paths` allows — reuses whatever is open, and hands every
 * received chat-level message to its handler. Every path is only a
 * transport: the same handshake authenticates the link before anything else
 * is read, and the same sealed channel carries it.
 */

import {
  acceptConnections,
  type AckMessage,
  type ByteConnection,
  type ChatMessage,
  encodeMessage,
  type FileMessage,
  formatHostPort,
  type FrameStream,
  type HostPort,
  isConnectionGone,
  type LinkHandshakeMessage,
  MessageChannel,
  parseHostPort,
  parseLinkHandshake,
  type PeerInfo,
  ProtocolError,
  type ReceiptAckMessage,
  type ReceiptMessage,
  type RefusedMessage,
  type RendezvousToPeer,
  type RoomAckMessage,
  type RoomLeaveMessage,
  type RoomStateMessage,
  shortId,
} from "../../protocol/mod.ts";
import { waitAtMost } from "../../async/mod.ts";
import { type Logger, ThrottledWarning } from "../../log/mod.ts";
import { connectWithin } from "./dial.ts";
import { DirectLink, type LinkDirection } from "./direct_link.ts";
import type { Identity } from "../store/mod.ts";
import {
  acceptHandshake,
  dialHandshake,
  handshakeStream,
  type SealedLinkChannel,
} from "./link_handshake.ts";
import { DEFAULT_LINK_LIMITS, LinkGate, type LinkLimits } from "./link_limits.ts";
import {
  DEFAULT_LINK_PATHS,
  type LinkPath,
  type LinkPathChoice,
  PathFailure,
  pathTaken,
} from "./link_paths.ts";
import { HolePuncher, punchInitiator } from "./punched_transport.ts";
import { PunchPort } from "./punch_port.ts";
import { RelayCircuits } from "./relayed_transport.ts";
import type { Rendezvous } from "./rendezvous.ts";

/** Messages that reach the application once a link is up. */
export type LinkPayload =
  | ChatMessage
  | AckMessage
  | ReceiptMessage
  | ReceiptAckMessage
  | FileMessage
  | RoomStateMessage
  | RoomAckMessage
  | RoomLeaveMessage
  | RefusedMessage;

/** What the pool reports. */
export interface LinkPoolHandler {
  message(link: DirectLink, message: LinkPayload): void;
  /**
   * Every message that arrived on `link` so far has been passed to
   * {@linkcode message}: a good moment to handle them as one batch. While
   * the promise it may return is pending, the link is not read (back-pressure:
   * the sender waits in TCP, not in this peer's memory).
   */
  drained?(link: DirectLink): void | Promise<void>;
  /** A link is authenticated and ready (either direction). */
  linkOpened?(link: DirectLink): void;
  linkClosed?(link: DirectLink): void;
}

/** Options for {@linkcode LinkPool.start}. */
export interface LinkPoolOptions {
  identity: Identity;
  listen: HostPort;
  handler: LinkPoolHandler;
  logger: Logger;
  /** Longest wait for each handshake step (and to connect, with only `direct`). Default 5 s. */
  timeoutMs?: number;
  /**
   * The paths to make links by, tried in this order, and the ones other
   * peers may use to reach this one. Default direct, punch, relay.
   */
  paths?: readonly LinkPathChoice[];
  /** The registry connection, which punching and relaying go through; without it, only `direct`. */
  rendezvous?: Rendezvous;
  /**
   * Longest wait for a direct dial when other paths follow, so a SYN that a
   * NAT drops without a word does not hold the message long. Default 1 s.
   */
  directDialMs?: number;
  /** Limits of the link listener against abuse. Default {@linkcode DEFAULT_LINK_LIMITS}. */
  limits?: Partial<LinkLimits>;
}

/** Why a link to a peer could not be opened. */
export class LinkError extends Error {
  readonly peerId: string;
  /**
   * True when something answered at the peer's address but could not prove
   * to be that peer: a wrong address, or an impostor. Retrying the same
   * address cannot help.
   */
  readonly impostor: boolean;
  constructor(peerId: string, message: string, options?: ErrorOptions & { impostor?: boolean }) {
    super(message, options);
    this.name = this.constructor.name;
    this.peerId = peerId;
    this.impostor = options?.impostor ?? false;
  }
}

/** All direct links of one peer, and its listener. */
export class LinkPool implements AsyncDisposable {
  readonly address: HostPort;
  readonly #options: LinkPoolOptions;
  readonly #listener: Deno.TcpListener;
  readonly #links = new Map<string, Set<DirectLink>>();
  readonly #dialling = new Map<string, Promise<DirectLink>>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  readonly #stats = { handshakesFailed: 0, framesRejected: 0, connectionsRefused: 0 };
  readonly #gate: LinkGate;
  /** The IP each link dialled from the listener is counted under, until it closes. */
  readonly #countedIps = new Map<DirectLink, string>();
  // Strangers can make these happen at will: one line per second per reason.
  readonly #refusals: ThrottledWarning;
  readonly #linkErrors: ThrottledWarning;
  readonly #idleSweep: ReturnType<typeof setInterval>;
  /** Links saying bye (replaced, idle, or at shutdown): closed within half a second. */
  readonly #closing = new WeakSet<DirectLink>();
  readonly #paths: readonly LinkPathChoice[];
  readonly #punchPort = new PunchPort();
  readonly #puncher: HolePuncher | undefined;
  readonly #relay: RelayCircuits | undefined;
  /** The path that made the last link to each peer: tried first next time. */
  readonly #lastPath = new Map<string, LinkPathChoice>();
  #closed = false;

  private constructor(listener: Deno.TcpListener, options: LinkPoolOptions) {
    this.#listener = listener;
    this.#options = options;
    this.address = listener.addr;
    this.#gate = new LinkGate({ ...DEFAULT_LINK_LIMITS, ...options.limits });
    this.#refusals = new ThrottledWarning(options.logger, "incoming link refused");
    this.#linkErrors = new ThrottledWarning(options.logger, "link closed: protocol error");
    const idleMs = this.#gate.limits.idleMs;
    this.#idleSweep = setInterval(() => this.#closeIdleLinks(), Math.min(30_000, idleMs / 4));
    const { rendezvous } = options;
    // Punching and relaying go through the registry; without it, only dials.
    this.#paths = (options.paths ?? DEFAULT_LINK_PATHS)
      .filter((path) => rendezvous || path === "direct");
    if (rendezvous) {
      this.#puncher = new HolePuncher({
        port: this.#punchPort,
        rendezvous,
        logger: options.logger,
        answer: this.#paths.includes("punch"),
        incoming: (conn, peerId) => this.#secureIncoming(conn, peerId, "punch"),
      });
      this.#relay = new RelayCircuits({
        rendezvous,
        logger: options.logger,
        answer: this.#paths.includes("relay"),
        incoming: (conn, peerId) => this.#secureIncoming(conn, peerId, "relay"),
      });
    }
    this.#accepting = this.#acceptLoop();
  }

  /** Binds the listener. Throws `Deno.errors.AddrInUse` if the address is taken. */
  static start(options: LinkPoolOptions): LinkPool {
    const listener = Deno.listen({ ...options.listen, transport: "tcp" });
    return new LinkPool(listener, options);
  }

  get #timeoutMs(): number {
    return this.#options.timeoutMs ?? 5000;
  }

  /**
   * Link handshakes that failed, established links closed for bad frames,
   * and connections or links the listener's limits refused.
   */
  get stats(): { handshakesFailed: number; framesRejected: number; connectionsRefused: number } {
    return { ...this.#stats };
  }

  /** The listener's limits in force. */
  get limits(): Readonly<LinkLimits> {
    return this.#gate.limits;
  }

  /** The path of the open link to `peerId`, if there is one. */
  linkPath(peerId: string): LinkPath | undefined {
    return this.openLink(peerId)?.path;
  }

  /**
   * Opens this peer's registry connection. With hole punching on, it leaves
   * from the punch port, so the registry observes (and heartbeats keep
   * alive) the NAT mapping other peers will be told to dial.
   */
  async connectRegistry(registry: HostPort, ms: number): Promise<ByteConnection> {
    if (!this.#paths.includes("punch")) {
      return await connectWithin({ ...registry, transport: "tcp" }, ms);
    }
    return await this.#punchPort.connectRegistry(registry, ms);
  }

  /** A punch or relay message from the registry. */
  rendezvousMessage(message: RendezvousToPeer): void {
    switch (message.type) {
      case "punch_now":
      case "punch_failed":
        this.#puncher?.handle(message);
        break;
      default:
        this.#relay?.handle(message);
    }
  }

  /** The registry connection is gone, and the relayed links through it. */
  rendezvousLost(): void {
    this.#puncher?.lost();
    this.#relay?.lost();
  }

  /** An open link to `peerId`, if there is one. */
  openLink(peerId: string): DirectLink | undefined {
    let newest: DirectLink | undefined;
    for (const link of this.#links.get(peerId) ?? []) if (!link.closed) newest = link;
    return newest;
  }

  /**
   * The open link to `peer`, dialling its published address if there is none.
   * Concurrent callers share one dial. Throws {@linkcode LinkError}.
   */
  linkTo(peer: PeerInfo): Promise<DirectLink> {
    const open = this.openLink(peer.id);
    if (open) return Promise.resolve(open);
    let dial = this.#dialling.get(peer.id);
    if (!dial) {
      dial = this.#dial(peer).finally(() => this.#dialling.delete(peer.id));
      this.#dialling.set(peer.id, dial);
    }
    return dial;
  }

  /** Closes every link to `peerId` (it left). */
  closeLinksTo(peerId: string): void {
    for (const link of this.#links.get(peerId) ?? []) link.close();
  }

  /** Says bye on every link, closes them and the listener. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#idleSweep);
    this.#listener.close();
    await this.#accepting;
    const all = [...this.#links.values()].flatMap((set) => [...set]);
    await Promise.all(all.map((link) => this.#sayByeAndClose(link)));
    await Promise.allSettled(this.#dialling.values());
    await this.#puncher?.close();
    this.#relay?.lost();
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    this.#refusals.close();
    this.#linkErrors.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** Tries each path in turn (the one that worked last time first). */
  async #dial(peer: PeerInfo): Promise<DirectLink> {
    if (this.#closed) throw new LinkError(peer.id, "This peer is shutting down");
    const last = this.#lastPath.get(peer.id);
    const order = last ? [last, ...this.#paths.filter((path) => path !== last)] : this.#paths;
    const failures: string[] = [];
    for (const path of order) {
      try {
        const link = await this.#dialBy(path, peer);
        this.#lastPath.set(peer.id, path);
        return link;
      } catch (error) {
        if (!(error instanceof PathFailure)) throw error;
        failures.push(error.message);
        if (this.#closed) break;
      }
    }
    if (failures.length === 0) {
      throw new LinkError(peer.id, `No way to reach ${peer.name} is enabled`);
    }
    throw new LinkError(peer.id, failures.join("; "));
  }

  async #dialBy(path: LinkPathChoice, peer: PeerInfo): Promise<DirectLink> {
    switch (path) {
      case "direct":
        return await this.#dialDirect(peer);
      case "punch": {
        if (!this.#puncher) throw new PathFailure(path, "no registry to arrange a hole punch");
        const conn = await this.#puncher.punch(peer);
        return await this.#secure(conn, peer.id, path, "outgoing");
      }
      case "relay": {
        if (!this.#relay) throw new PathFailure(path, "no registry to relay through");
        const conn = await this.#relay.open(peer);
        return await this.#secure(conn, peer.id, path, "outgoing");
      }
    }
  }

  async #dialDirect(peer: PeerInfo): Promise<DirectLink> {
    let target: HostPort;
    try {
      target = parseHostPort(peer.address);
    } catch (error) {
      throw new PathFailure(
        "direct",
        `${peer.name} has an unusable address: ${(error as Error).message}`,
      );
    }
    const alone = this.#paths.length === 1;
    const dialMs = alone ? this.#timeoutMs : this.#options.directDialMs ?? 1000;
    let conn: Deno.TcpConn;
    try {
      conn = await connectWithin({ ...target, transport: "tcp" }, dialMs);
    } catch (error) {
      throw new PathFailure(
        "direct",
        `Cannot reach ${peer.name} at ${formatHostPort(target)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const stream = handshakeStream(conn);
    let channel: SealedLinkChannel;
    try {
      channel = await dialHandshake(stream, this.#options.identity, peer.id, this.#timeoutMs);
    } catch (error) {
      if (!(error instanceof ProtocolError)) {
        stream.close();
        if (!isConnectionGone(error)) throw error;
        throw new PathFailure("direct", `Link to ${peer.name} failed: ${(error as Error).message}`);
      }
      this.#stats.handshakesFailed++;
      await refuseInTheClear(stream, error);
      // Something answered at the published address but could not prove to
      // be the peer: stop here rather than go round it by another path.
      throw new LinkError(peer.id, `Link to ${peer.name} failed: ${error.message}`, {
        cause: error,
        impostor: error.code === "handshake_failed",
      });
    }
    return this.#adopt(channel, peer.id, "outgoing", "direct");
  }

  /** Secures a punched or relayed connection another peer started. */
  #secureIncoming(conn: ByteConnection, peerId: string, path: "punch" | "relay"): void {
    if (this.#closed) return conn.close();
    this.#track(
      this.#secure(conn, peerId, path, "incoming").then(() => {}, (error) => {
        if (!(error instanceof PathFailure)) throw error;
        this.#refusals.warn(`${path}_failed`, {
          peer: shortId(peerId),
          path: pathTaken(path),
          reason: error.message,
        });
      }),
    );
  }

  /**
   * Runs the handshake on a connection a punch or a relay made. On a punched
   * connection both sides dialled, so the lower ID plays the dialler; a
   * relayed one is dialled by whoever opened the circuit. Throws
   * {@linkcode PathFailure} if the other end is not `peerId`.
   */
  async #secure(
    conn: ByteConnection,
    peerId: string,
    path: Exclude<LinkPathChoice, "direct">,
    direction: LinkDirection,
  ): Promise<DirectLink> {
    const stream = handshakeStream(conn);
    const { identity } = this.#options;
    const dialler = path === "punch"
      ? punchInitiator(identity.id, peerId)
      : direction === "outgoing";
    let channel: SealedLinkChannel;
    try {
      if (dialler) {
        channel = await dialHandshake(stream, identity, peerId, this.#timeoutMs);
      } else {
        const established = await acceptHandshake(stream, identity, this.#acceptTimeouts);
        if (established.peerId !== peerId) {
          throw new ProtocolError(
            "handshake_failed",
            `Expected ${shortId(peerId)} on this ${pathTaken(path)} connection, ` +
              `found ${shortId(established.peerId)}`,
          );
        }
        channel = established.channel;
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) {
        stream.close();
        if (!isConnectionGone(error)) throw error;
        throw new PathFailure(path, `${pathTaken(path)} link failed: ${(error as Error).message}`);
      }
      this.#stats.handshakesFailed++;
      await refuseInTheClear(stream, error);
      throw new PathFailure(path, `${pathTaken(path)} link failed: ${error.message}`, {
        cause: error,
      });
    }
    if (this.#closed) {
      channel.close();
      throw new PathFailure(path, "This peer is shutting down");
    }
    return this.#adopt(channel, peerId, direction, pathTaken(path));
  }

  #acceptLoop(): Promise<void> {
    const logger = this.#options.logger;
    return acceptConnections(this.#listener, (conn) => {
      const ip = conn.remoteAddr.hostname;
      const refusal = this.#gate.admit(ip);
      if (refusal) {
        // Refused before it costs a buffer or a key: one small frame, then closed.
        this.#stats.connectionsRefused++;
        this.#refusals.warn(refusal.limit, {
          remote: formatHostPort(conn.remoteAddr),
          code: refusal.code,
          limit: refusal.limit,
          reason: refusal.message,
        });
        this.#track(refuseAtTheDoor(conn, refusal));
        return;
      }
      conn.setNoDelay(true);
      this.#track(this.#accept(conn, ip));
    }, {
      failing: (error) =>
        logger.error("cannot accept links; backing off, open links go on", {
          error: error.message,
        }),
      recovered: (failures) => logger.info("accepting links again", { failedAttempts: failures }),
    });
  }

  get #acceptTimeouts(): { stepMs: number; helloMs: number } {
    return { stepMs: this.#timeoutMs, helloMs: this.#gate.limits.helloMs };
  }

  async #accept(conn: Deno.TcpConn, ip: string): Promise<void> {
    const stream = handshakeStream(conn);
    let established: { peerId: string; channel: SealedLinkChannel };
    try {
      established = await acceptHandshake(stream, this.#options.identity, this.#acceptTimeouts);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#stats.handshakesFailed++;
      this.#refusals.warn(error.code, {
        remote: formatHostPort(stream.remoteAddr),
        code: error.code,
        reason: error.message,
      });
      await refuseInTheClear(stream, error);
      return;
    } finally {
      this.#gate.handshakeEnded(ip);
    }
    if (this.#closed) return established.channel.close();
    this.#replaceIncoming(established.peerId);
    const refusal = this.#gate.linkOpened(ip);
    if (refusal) {
      this.#stats.connectionsRefused++;
      this.#refusals.warn(refusal.limit, {
        remote: formatHostPort(stream.remoteAddr),
        peer: shortId(established.peerId),
        code: refusal.code,
        limit: refusal.limit,
        reason: refusal.message,
      });
      await established.channel.refuse(refusal);
      return;
    }
    const link = this.#adopt(established.channel, established.peerId, "incoming", "direct");
    this.#countedIps.set(link, ip);
  }

  /**
   * A peer dialled again: its older incoming links are ones it gave up on
   * (or an attacker's pile), so they are closed and one link per peer ID
   * is left. Outgoing links stay: both sides dialling at once is a race,
   * not a replacement.
   */
  #replaceIncoming(peerId: string): void {
    for (const link of this.#links.get(peerId) ?? []) {
      if (link.direction !== "incoming" || link.closed || this.#closing.has(link)) continue;
      this.#releaseIp(link);
      this.#options.logger.debug("link replaced by a newer one", { peer: shortId(peerId) });
      this.#track(this.#sayByeAndClose(link));
    }
  }

  /** Closes links with no frame either way for longer than the idle timeout. */
  #closeIdleLinks(): void {
    const idleBefore = performance.now() - this.#gate.limits.idleMs;
    for (const set of this.#links.values()) {
      for (const link of set) {
        if (link.closed || this.#closing.has(link) || link.lastActiveAt > idleBefore) continue;
        this.#options.logger.debug("link idle, closed", { peer: shortId(link.peerId) });
        this.#track(this.#sayByeAndClose(link));
      }
    }
  }

  async #sayByeAndClose(link: DirectLink): Promise<void> {
    if (this.#closing.has(link)) return;
    this.#closing.add(link);
    link.send({ type: "bye" });
    // Sealing is asynchronous: wait for the bye to be sealed and written,
    // not only for the stream to empty (it may not have reached it yet).
    await waitAtMost(link.channel.flushed(), 500);
    link.close();
  }

  #releaseIp(link: DirectLink): void {
    const ip = this.#countedIps.get(link);
    if (ip === undefined) return;
    this.#countedIps.delete(link);
    this.#gate.linkClosed(ip);
  }

  #adopt(
    channel: SealedLinkChannel,
    peerId: string,
    direction: LinkDirection,
    path: LinkPath,
  ): DirectLink {
    if (direction === "incoming") this.#replaceIncoming(peerId);
    const link = new DirectLink(channel, peerId, direction, path);
    let set = this.#links.get(peerId);
    if (!set) this.#links.set(peerId, set = new Set());
    set.add(link);
    this.#options.logger.debug("link open", { peer: shortId(peerId), direction, path });
    this.#options.handler.linkOpened?.(link);
    this.#track(this.#readLoop(link));
    return link;
  }

  async #readLoop(link: DirectLink): Promise<void> {
    try {
      while (true) {
        const message = await link.channel.receive();
        if (message === null) return;
        link.lastActiveAt = performance.now();
        switch (message.type) {
          case "chat":
          case "ack":
          case "receipt":
          case "receipt_ack":
          case "file_offer":
          case "file_request":
          case "file_chunk":
          case "file_decline":
          case "file_complete":
          case "file_abort":
          case "room_state":
          case "room_ack":
          case "room_leave":
          case "refused":
            this.#options.handler.message(link, message);
            // Everything that arrived together has been handed over.
            if (!link.channel.hasBuffered()) await this.#options.handler.drained?.(link);
            break;
          case "bye":
            return;
          case "error":
            this.#options.logger.warn("link closed by peer", {
              peer: shortId(link.peerId),
              code: message.code,
              reason: message.message,
            });
            return;
        }
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#stats.framesRejected++;
      this.#linkErrors.warn(error.code, {
        peer: shortId(link.peerId),
        code: error.code,
        reason: error.message,
      });
      // A frame that fails authentication may not come from the peer at all:
      // answer nothing, just drop the link.
      if (error.code === "bad_ciphertext") link.close();
      else await link.channel.refuse(error);
    } finally {
      link.close();
      this.#releaseIp(link);
      this.#options.handler.drained?.(link);
      const set = this.#links.get(link.peerId);
      set?.delete(link);
      if (set?.size === 0) this.#links.delete(link.peerId);
      this.#options.handler.linkClosed?.(link);
    }
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((error) => {
      if (!isConnectionGone(error)) {
        this.#options.logger.error("link task failed", { error: String(error) });
      }
    }).finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }
}

/**
 * Answers a connection the listener's limits refused: one plaintext error
 * frame, written straight to the socket, then closed. Nothing is read.
 */
async function refuseAtTheDoor(conn: Deno.TcpConn, error: ProtocolError): Promise<void> {
  const frame = encodeMessage({ type: "error", code: error.code, message: error.message });
  // A dialler that does not read gets no more than the kernel takes at once.
  await waitAtMost(conn.write(frame), 200);
  try {
    conn.close();
  } catch (failure) {
    if (!(failure instanceof Deno.errors.BadResource)) throw failure;
  }
}

/** Sends a handshake refusal as a plaintext error frame, then closes. */
async function refuseInTheClear(stream: FrameStream, error: ProtocolError): Promise<void> {
  await new MessageChannel<LinkHandshakeMessage, LinkHandshakeMessage>(stream, parseLinkHandshake)
    .refuse(error);
}
