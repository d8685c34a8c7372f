/**
 * Keeps this peer registered: connects, proves its identity, heartbeats, keeps
 * the {@linkcode PeerDirectory} current, and when the registry goes away
 * reconnects with backoff for as long as the peer runs.
 */

import { DeadlineError, waitAtMost } from "../async/mod.ts";
import {
  CLIENT_NAME,
  flushWithin,
  formatHostPort,
  FrameStream,
  type HostPort,
  isConnectionGone,
  MessageChannel,
  parseRegistryToPeer,
  type PeerToRegistry,
  PROTOCOL_VERSION,
  ProtocolError,
  type RegistryToPeer,
  signedRegistration,
  type WelcomeMessage,
} from "../protocol/mod.ts";
import { backoffDelay, type BackoffOptions, connectWithin } from "./link/mod.ts";
import type { Identity } from "./store/mod.ts";
import type { DirectoryChange, PeerDirectory } from "./peer_directory.ts";

/** What the client reports to the peer. */
export interface RegistryClientHandler {
  registered(info: { registry: string; address: string; reconnects: number }): void;
  /** `source` says whether a snapshot (whole list) or a delta produced them. */
  peersChanged(changes: DirectoryChange[], source: "snapshot" | "delta"): void;
  lost(info: { registry: string; retryInMs: number; reason: string }): void;
  /**
   * The registry refused this peer (name taken, bad signature, …). Return
   * `true` to keep retrying, `false` to give up.
   */
  refused(error: ProtocolError, everRegistered: boolean): boolean;
  /** The registry operator removed this peer; it will not re-register. */
  kicked(): void;
}

/** Options for {@linkcode RegistryClient}. */
export interface RegistryClientOptions {
  registry: HostPort;
  /**
   * Chooses the registry before each connection attempt (LAN discovery:
   * `registry_discovery.ts`); without it, always `registry`.
   */
  locate?: () => Promise<HostPort>;
  identity: Identity;
  name: string;
  directory: PeerDirectory;
  /** The port direct links are accepted on. */
  listenPort: number;
  /** `HOST:PORT` to publish instead of the address the registry observes. */
  advertise?: string;
  backoff?: BackoffOptions;
  /** Longest wait for a connection or a handshake answer. Default 5 s. */
  answerTimeoutMs?: number;
  handler: RegistryClientHandler;
}

/** A registration step got no answer in time. */
class NoAnswer extends Error {}

/** One peer's link to the registry, reconnecting as needed. */
export class RegistryClient {
  readonly #options: RegistryClientOptions;
  #registryText: string;
  #channel: MessageChannel<RegistryToPeer, PeerToRegistry> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #sessions = 0;
  #wake: (() => void) | undefined;

  constructor(options: RegistryClientOptions) {
    this.#options = options;
    this.#registryText = formatHostPort(options.registry);
  }

  /** True while registered. */
  get #answerTimeoutMs(): number {
    return this.#options.answerTimeoutMs ?? 5000;
  }

  get registered(): boolean {
    return this.#channel !== undefined && !this.#channel.stream.closed && this.#sessions > 0;
  }

  /** Times this peer registered again after losing the registry. */
  get reconnects(): number {
    return Math.max(0, this.#sessions - 1);
  }

  /** Starts connecting in the background. */
  start(): void {
    this.#running ??= this.#loop();
  }

  /** Deregisters (says bye if connected) and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    const channel = this.#channel;
    if (channel && !channel.stream.closed) {
      channel.send({ type: "bye" });
      await flushWithin(channel.stream, 1000);
      channel.close();
    }
    await this.#running;
  }

  async #loop(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      let reason: string;
      let keepTrying = true;
      try {
        reason = await this.#session(() => attempt = 0);
      } catch (error) {
        if (error instanceof RegistryRefusal) {
          keepTrying = this.#options.handler.refused(error.cause, this.#sessions > 0);
          reason = error.message;
        } else if (error instanceof ProtocolError || error instanceof NoAnswer) {
          reason = error.message;
        } else if (isUnreachable(error)) {
          reason = (error as Error).message;
        } else {
          throw error;
        }
      }
      if (this.#stopped || reason === KICKED || !keepTrying) return;
      const retryInMs = backoffDelay(attempt++, this.#options.backoff);
      this.#options.handler.lost({ registry: this.#registryText, retryInMs, reason });
      await this.#sleep(retryInMs);
    }
  }

  /** One connection, from connect to its end. Returns why it ended. */
  async #session(onRegistered: () => void): Promise<string> {
    const registry = await this.#options.locate?.() ?? this.#options.registry;
    if (this.#stopped) return "stopped";
    this.#registryText = formatHostPort(registry);
    const conn = await connectWithin(
      { ...registry, transport: "tcp" },
      this.#answerTimeoutMs,
    );
    const channel = new MessageChannel<RegistryToPeer, PeerToRegistry>(
      new FrameStream(conn),
      parseRegistryToPeer,
    );
    this.#channel = channel;
    try {
      const welcome = await this.#register(channel);
      if (this.#stopped) return "stopped";
      this.#sessions++;
      onRegistered();
      this.#options.handler.registered({
        registry: this.#registryText,
        address: welcome.address,
        reconnects: this.reconnects,
      });
      return await this.#serve(channel, welcome);
    } catch (error) {
      if (error instanceof ProtocolError && !channel.stream.closed) await channel.refuse(error);
      throw error;
    } finally {
      channel.close();
      if (this.#channel === channel) this.#channel = undefined;
    }
  }

  async #register(
    channel: MessageChannel<RegistryToPeer, PeerToRegistry>,
  ): Promise<WelcomeMessage> {
    channel.send({ type: "hello", protocol: PROTOCOL_VERSION, client: CLIENT_NAME });
    const challenge = await this.#expect(channel, "challenge");
    if (challenge.protocol !== PROTOCOL_VERSION) {
      throw new ProtocolError(
        "unsupported_version",
        `Registry speaks protocol version ${challenge.protocol}; this peer speaks ${PROTOCOL_VERSION}`,
      );
    }
    const { identity, name, listenPort, advertise } = this.#options;
    channel.send(
      await signedRegistration(identity, challenge.nonce, {
        name,
        listenPort,
        advertise,
        reconnects: this.#sessions,
      }),
    );
    return await this.#expect(channel, "welcome");
  }

  async #serve(
    channel: MessageChannel<RegistryToPeer, PeerToRegistry>,
    welcome: WelcomeMessage,
  ): Promise<string> {
    const silenceLimitMs = welcome.heartbeatMs * welcome.evictAfter;
    let lastHeardAt = Date.now();
    let seq = 0;
    let silent = false;
    const heartbeat = setInterval(() => {
      if (Date.now() - lastHeardAt > silenceLimitMs) {
        silent = true;
        channel.close();
        return;
      }
      channel.send({ type: "heartbeat", seq: ++seq });
    }, welcome.heartbeatMs);
    try {
      while (true) {
        const message = await channel.receive();
        if (message === null) {
          return silent
            ? `no answer from the registry for ${silenceLimitMs} ms`
            : "the registry closed the connection";
        }
        lastHeardAt = Date.now();
        switch (message.type) {
          case "snapshot": {
            const changes = this.#options.directory.applySnapshot(message);
            if (changes) this.#options.handler.peersChanged(changes, "snapshot");
            break;
          }
          case "peers_delta": {
            const outcome = this.#options.directory.applyDelta(message);
            if (outcome.kind === "gap") channel.send({ type: "snapshot_request" });
            if (outcome.kind === "applied" && outcome.changes.length > 0) {
              this.#options.handler.peersChanged(outcome.changes, "delta");
            }
            break;
          }
          case "heartbeat_ack":
            break;
          case "bye":
            if (message.reason === "kicked") {
              this.#options.handler.kicked();
              return KICKED;
            }
            return "the registry is shutting down";
          case "error":
            return `the registry closed the connection: ${message.message} (${message.code})`;
          default:
            throw new ProtocolError(
              "unexpected_message",
              `Unexpected "${message.type}" message from the registry after registration`,
            );
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Receives the next message, which must be of `type` (or an error frame). */
  async #expect<T extends RegistryToPeer["type"]>(
    channel: MessageChannel<RegistryToPeer, PeerToRegistry>,
    type: T,
  ): Promise<Extract<RegistryToPeer, { type: T }>> {
    const message = await channel.receiveWithin(
      this.#answerTimeoutMs,
      `"${type}" from the registry`,
    );
    if (message === null) {
      if (this.#stopped) throw new NoAnswer("stopped");
      throw new NoAnswer(`the registry closed the connection while this peer waited for "${type}"`);
    }
    if (message.type === "error") {
      throw new RegistryRefusal(new ProtocolError(message.code, message.message));
    }
    if (message.type !== type) {
      throw new ProtocolError(
        "unexpected_message",
        `Unexpected "${message.type}" message from the registry; expected "${type}"`,
      );
    }
    return message as Extract<RegistryToPeer, { type: T }>;
  }

  async #sleep(ms: number): Promise<void> {
    await waitAtMost(new Promise<void>((resolve) => this.#wake = resolve), ms);
  }
}

const KICKED = "kicked by the registry operator";

/** The registry answered with an `error` frame during registration. */
class RegistryRefusal extends Error {
  override readonly cause: ProtocolError;
  constructor(cause: ProtocolError) {
    super(`the registry refused this peer: ${cause.message} (${cause.code})`);
    this.name = this.constructor.name;
    this.cause = cause;
  }
}

function isUnreachable(error: unknown): boolean {
  return isConnectionGone(error) ||
    error instanceof Deno.errors.ConnectionRefused ||
    error instanceof Deno.errors.TimedOut ||
    error instanceof DeadlineError ||
    error instanceof Deno.errors.AddrNotAvailable ||
    error instanceof Deno.errors.NotFound ||
    (error instanceof Error && error.name === "NetworkUnreachable") ||
    (error instanceof Error && /os error|dns|lookup/i.test(error.message));
}
