/**
 * Keeps this peer registered: connects, proves its identity, heartbeats, keeps
 * the {@linkcode PeerDirectory} current, and when the registry goes away
 * reconnects with backoff for as long as the peer runs. With several
 * registries (a cluster's instances, given or learned from the welcome), a
 * lost one is replaced by another, and the list resumes where it stood.
 */

import { DeadlineError, waitAtMost } from "../async/mod.ts";
import {
  type ByteConnection,
  CLIENT_NAME,
  flushWithin,
  formatHostPort,
  formatNetAddr,
  FrameStream,
  type HostPort,
  isConnectionGone,
  MessageChannel,
  parseHostPort,
  parseRegistryToPeer,
  type PeerToRegistry,
  PROTOCOL_VERSION,
  ProtocolError,
  type RegistryToPeer,
  type RendezvousToPeer,
  type RendezvousToRegistry,
  signedRegistration,
  type WelcomeMessage,
} from "../protocol/mod.ts";
import {
  backoffDelay,
  type BackoffOptions,
  connectWithin,
  DEFAULT_BACKOFF_MAX_MS,
  type Rendezvous,
  RendezvousUnavailable,
} from "./link/mod.ts";
import type { Identity } from "./store/mod.ts";
import type { DirectoryChange, PeerDirectory } from "./peer_directory.ts";
import { RejoinWindow } from "./rejoin_window.ts";

/**
 * Where list changes come from: a registry's whole list, one of its deltas,
 * or the close of a rejoin window (held peers that never came back).
 */
export type ChangeSource = "snapshot" | "delta" | "rejoin_window";

/** A registration, as the client reports it. */
export interface RegistrationInfo {
  registry: string;
  address: string;
  reconnects: number;
  /** After a loss (`reconnects` > 0): how long the registry was away. */
  awayMs?: number;
  /** After a loss: connection attempts made since, this successful one included. */
  attempts?: number;
}

/** An attempt to reach the registry that failed, as the client reports it. */
export interface RetryInfo {
  registry: string;
  /** Failed attempts since the registry was lost (or since start, if never reached). */
  attempts: number;
  retryInMs: number;
  reason: string;
}

/** What the client reports to the peer. */
export interface RegistryClientHandler {
  registered(info: RegistrationInfo): void;
  /** `source` says what produced them. */
  peersChanged(changes: DirectoryChange[], source: ChangeSource): void;
  /** A registry this peer was registered with is gone: once per outage. */
  lost(info: { registry: string; retryInMs: number; reason: string }): void;
  /** An attempt to reach the registry failed (after a loss, or before it was ever reached). */
  retry(info: RetryInfo): void;
  /**
   * The registry refused this peer (name taken, bad signature, …). Return
   * `true` to keep retrying, `false` to give up.
   */
  refused(error: ProtocolError, everRegistered: boolean): boolean;
  /** The registry operator removed this peer; it will not re-register. */
  kicked(): void;
  /** A punch or relay message for the link layer. */
  rendezvous?(message: RendezvousToPeer): void;
}

/** Options for {@linkcode RegistryClient}. */
export interface RegistryClientOptions {
  /** Where to register; with several (a cluster), the first is tried first. */
  registries: HostPort[];
  /**
   * Chooses the registry before each connection attempt (LAN discovery:
   * `registry_discovery.ts`) until a cluster's welcome names its instances;
   * without it, `registries` in turn.
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
  /**
   * Opens the TCP connection to the registry (the link layer makes it from
   * its punch port). Default: `Deno.connect`.
   */
  connect?: (registry: HostPort, ms: number) => Promise<ByteConnection>;
  handler: RegistryClientHandler;
}

/** When the registry went away and how many attempts were made since. */
interface Outage {
  since: number;
  attempts: number;
}
/** Registry connection bytes queued beyond which rendezvous senders wait. */
const RENDEZVOUS_QUEUE_BYTES = 256 * 1024;

/** A registration step got no answer in time. */
class NoAnswer extends Error {}

/**
 * One peer's link to the registry, reconnecting as needed. It is also the
 * {@linkcode Rendezvous} the link layer punches and relays through.
 */
export class RegistryClient implements Rendezvous {
  readonly #options: RegistryClientOptions;
  /** The addresses given, as `HOST:PORT`. */
  readonly #given: string[];
  /** Instances the last welcome named. */
  #learned: string[] = [];
  /** Where the next attempt goes, unless `locate` chooses. */
  #target: string;
  readonly #rejoin: RejoinWindow;
  #registry: HostPort | undefined;
  #channel: MessageChannel<RegistryToPeer, PeerToRegistry> | undefined;
  /** The channel once welcomed: only then may rendezvous messages go out. */
  #welcomed: MessageChannel<RegistryToPeer, PeerToRegistry> | undefined;
  #roundTripMs = 0;
  #running: Promise<void> | undefined;
  #stopped = false;
  #sessions = 0;
  #wake: (() => void) | undefined;

  constructor(options: RegistryClientOptions) {
    if (options.registries.length === 0) throw new TypeError("RegistryClient needs a registry");
    this.#options = options;
    this.#given = [...new Set(options.registries.map(formatHostPort))];
    this.#target = this.#given[0];
    this.#rejoin = new RejoinWindow({
      directory: options.directory,
      reconnectMaxMs: options.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS,
      closed: (changes) => options.handler.peersChanged(changes, "rejoin_window"),
    });
  }

  /** Every registry this peer knows of: those given, then those learned. */
  get registries(): string[] {
    return [...new Set([...this.#given, ...this.#learned])];
  }

  /** True while registered. */
  get #answerTimeoutMs(): number {
    return this.#options.answerTimeoutMs ?? 5000;
  }

  get registered(): boolean {
    return this.#channel !== undefined && !this.#channel.stream.closed && this.#sessions > 0;
  }

  /** The registry this peer is registered with now. */
  get registry(): HostPort | undefined {
    return this.#welcomed && !this.#welcomed.stream.closed ? this.#registry : undefined;
  }

  /** The latest round trip to the registry (registration, then each heartbeat). */
  get roundTripMs(): number {
    return this.#roundTripMs;
  }

  /** Sends a punch or relay message; waits while the connection has a backlog. */
  async send(message: RendezvousToRegistry): Promise<void> {
    const channel = this.#welcomed;
    if (!channel || channel.stream.closed) throw new RendezvousUnavailable();
    channel.send(message);
    if (channel.stream.queuedBytes > RENDEZVOUS_QUEUE_BYTES) await channel.stream.flushed();
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
    this.#rejoin[Symbol.dispose]();
  }

  async #loop(): Promise<void> {
    // Attempts since the registry was lost — or, until it is first reached, since start.
    let outage: Outage = { since: Date.now(), attempts: 0 };
    let backoffAttempt = 0;
    while (!this.#stopped) {
      let reason: string;
      let keepTrying = true;
      let registered = false;
      const attempted = { registry: this.#target };
      outage.attempts++;
      try {
        reason = await this.#session(attempted, outage, () => {
          registered = true;
          backoffAttempt = 0;
        });
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
      this.#target = this.#another(attempted.registry);
      const retryInMs = backoffDelay(backoffAttempt++, this.#options.backoff);
      const registry = attempted.registry;
      if (registered) {
        // Said once per outage; the attempts that follow are retries.
        outage = { since: Date.now(), attempts: 0 };
        this.#options.handler.lost({ registry, retryInMs, reason });
      } else {
        this.#options.handler.retry({ registry, attempts: outage.attempts, retryInMs, reason });
      }
      await this.#sleep(retryInMs);
    }
  }

  /**
   * Where to try after `failed`: any other known registry, chosen at random,
   * so that the peers of a lost instance spread over the others.
   */
  #another(failed: string): string {
    const others = this.registries.filter((address) => address !== failed);
    if (others.length === 0) return failed;
    return others[Math.floor(Math.random() * others.length)];
  }

  /** Remembers the instances a welcome named (those that read as addresses). */
  #learn(instances: string[] | undefined): void {
    if (instances === undefined) return;
    const learned: string[] = [];
    for (const text of instances) {
      try {
        learned.push(formatHostPort(parseHostPort(text)));
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
      }
    }
    this.#learned = learned;
  }

  /**
   * One connection, from connect to its end. Returns why it ended;
   * `attempted.registry` says where it went.
   */
  async #session(
    attempted: { registry: string },
    outage: Outage,
    onRegistered: () => void,
  ): Promise<string> {
    // Discovery chooses until a cluster named its instances; then they take turns.
    const registry = this.#options.locate && this.#learned.length === 0
      ? await this.#options.locate()
      : parseHostPort(attempted.registry);
    if (this.#stopped) return "stopped";
    attempted.registry = formatHostPort(registry);
    this.#registry = registry;
    const conn = this.#options.connect
      ? await this.#options.connect(registry, this.#answerTimeoutMs)
      : await connectWithin({ ...registry, transport: "tcp" }, this.#answerTimeoutMs);
    const channel = new MessageChannel<RegistryToPeer, PeerToRegistry>(
      new FrameStream(conn),
      parseRegistryToPeer,
    );
    this.#channel = channel;
    try {
      const welcome = await this.#register(channel);
      if (this.#stopped) return "stopped";
      this.#sessions++;
      this.#rejoin.registered(welcome);
      this.#welcomed = channel;
      onRegistered();
      this.#learn(welcome.instances);
      const info: RegistrationInfo = {
        registry: attempted.registry,
        address: welcome.address,
        reconnects: this.reconnects,
      };
      if (this.reconnects > 0) {
        info.awayMs = Date.now() - outage.since;
        info.attempts = outage.attempts;
      }
      this.#options.handler.registered(info);
      return await this.#serve(channel, welcome);
    } catch (error) {
      if (error instanceof ProtocolError && !channel.stream.closed) await channel.refuse(error);
      throw error;
    } finally {
      this.#rejoin.lost();
      channel.close();
      if (this.#channel === channel) this.#channel = undefined;
      if (this.#welcomed === channel) this.#welcomed = undefined;
    }
  }

  async #register(
    channel: MessageChannel<RegistryToPeer, PeerToRegistry>,
  ): Promise<WelcomeMessage> {
    const helloAt = performance.now();
    channel.send({ type: "hello", protocol: PROTOCOL_VERSION, client: CLIENT_NAME });
    const challenge = await this.#expect(channel, "challenge");
    this.#roundTripMs = performance.now() - helloAt;
    if (challenge.protocol !== PROTOCOL_VERSION) {
      throw new ProtocolError(
        "unsupported_version",
        `Registry speaks protocol version ${challenge.protocol}; this peer speaks ${PROTOCOL_VERSION}`,
      );
    }
    const { identity, name, listenPort, advertise, directory } = this.#options;
    channel.send(
      await signedRegistration(identity, challenge, {
        // The address this connection reached, as an IP literal: the
        // registry refuses a registration naming another (a relayed challenge).
        registry: formatNetAddr(channel.stream.remoteAddr),
        name,
        listenPort,
        advertise,
        reconnects: this.#sessions,
        // Another instance of the same cluster can send just what this list missed.
        resume: directory.position(),
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
    let beatAt = 0;
    let silent = false;
    const heartbeat = setInterval(() => {
      if (Date.now() - lastHeardAt > silenceLimitMs) {
        silent = true;
        channel.close();
        return;
      }
      beatAt = performance.now();
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
            this.#rejoin.listArrives(message.epoch);
            const changes = this.#options.directory.applySnapshot(message);
            if (changes) this.#options.handler.peersChanged(changes, "snapshot");
            break;
          }
          case "peers_delta": {
            const outcome = this.#options.directory.applyDelta(message);
            if (outcome.kind === "gap") channel.send(this.#catchUpRequest());
            if (outcome.kind === "applied" && outcome.changes.length > 0) {
              this.#options.handler.peersChanged(outcome.changes, "delta");
            }
            break;
          }
          case "heartbeat_ack":
            if (message.seq === seq) this.#roundTripMs = performance.now() - beatAt;
            break;
          case "punch_now":
          case "punch_failed":
          case "relay_incoming":
          case "relay_ready":
          case "relay_ack":
          case "relay_data":
          case "relay_close":
            this.#options.handler.rendezvous?.(message);
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

  /** Asks for what this peer missed: the deltas since its list, if the registry still has them. */
  #catchUpRequest(): PeerToRegistry {
    const { epoch, seq } = this.#options.directory;
    return epoch === undefined
      ? { type: "snapshot_request" }
      : { type: "snapshot_request", epoch, seq };
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
