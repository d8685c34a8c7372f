/**
 * A running peer: its identity, its listener for direct links, its link to
 * the registry and its copy of the peer list, wired together. User interfaces
 * drive it through the methods here and hear back through {@linkcode PeerEvent}s.
 */

import {
  formatHostPort,
  type HostPort,
  nameKey,
  type PeerInfo,
  type ProtocolError,
  shortId,
} from "../protocol/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { PeerEvent, PeerEventListener } from "./events.ts";
import { Identity } from "./identity.ts";
import { LinkPool } from "./link_pool.ts";
import { MemoryMessageStore, type MessageStore } from "./message_store.ts";
import { Messenger, textProblem } from "./messenger.ts";
import { type DirectoryChange, PeerDirectory } from "./peer_directory.ts";
import { RegistryClient } from "./registry_client.ts";

/** How to run a peer. */
export interface PeerOptions {
  name: string;
  /** Default `127.0.0.1:7070`. */
  registry?: HostPort;
  /** Where to accept direct links. Default `0.0.0.0:0` (any free port). */
  listen?: HostPort;
  /** `HOST:PORT` to publish instead of the observed address. */
  advertise?: string;
  /** Directory holding the identity (and later history). Required unless `identity` is given. */
  dataDir?: string;
  /** Use this identity instead of the one in `dataDir` (tests, benchmarks). */
  identity?: Identity;
  store?: MessageStore;
  backoff?: BackoffOptions;
  ackTimeoutMs?: number;
  /** Hears every event, from `ready` on. */
  onEvent?: PeerEventListener;
  logger?: Logger;
}

/** Codes that mean retrying the same registration can never succeed. */
const PERMANENT_REFUSALS = new Set([
  "name_taken",
  "bad_signature",
  "id_mismatch",
  "invalid_message",
  "unsupported_version",
]);

/** One running peer. */
export class Peer implements AsyncDisposable {
  readonly id: string;
  readonly name: string;
  /** Where direct links are accepted, as bound. */
  readonly listen: string;
  readonly #identity: Identity;
  readonly #logger: Logger;
  readonly #listeners = new Set<PeerEventListener>();
  readonly #directory: PeerDirectory;
  readonly #links: LinkPool;
  readonly #messenger: Messenger;
  readonly #client: RegistryClient;
  readonly #store: MessageStore;
  #firstSnapshot = true;
  #stopping: Promise<void> | undefined;
  #fatal: ((error: Error) => void) | undefined;
  #resolveFinished: (() => void) | undefined;
  /**
   * Settles when the peer is done: resolves after {@linkcode shutdown},
   * rejects if the registry refused it for good (for example, name taken).
   */
  readonly finished: Promise<void>;

  private constructor(options: PeerOptions & { identity: Identity }) {
    this.#identity = options.identity;
    this.#logger = options.logger ?? silentLogger;
    this.id = options.identity.id;
    this.name = options.name;
    if (options.onEvent) this.#listeners.add(options.onEvent);
    this.#directory = new PeerDirectory(this.id);
    this.#store = options.store ?? new MemoryMessageStore();
    this.#links = LinkPool.start({
      identity: this.#identity,
      listen: options.listen ?? { hostname: "0.0.0.0", port: 0 },
      logger: this.#logger,
      handler: {
        message: (link, message) => {
          this.#messenger.receive(link, message).catch((error) => this.#reportError(error));
        },
      },
    });
    this.listen = formatHostPort(this.#links.address);
    this.#messenger = new Messenger({
      links: this.#links,
      directory: this.#directory,
      store: this.#store,
      emit: (event) => this.#emit(event),
      logger: this.#logger,
      ackTimeoutMs: options.ackTimeoutMs,
    });
    this.#client = new RegistryClient({
      registry: options.registry ?? { hostname: "127.0.0.1", port: 7070 },
      identity: this.#identity,
      name: this.name,
      directory: this.#directory,
      listenPort: this.#links.address.port,
      advertise: options.advertise,
      backoff: options.backoff,
      handler: {
        registered: ({ registry, reconnects }) =>
          this.#emit({ event: "registered", registry, reconnects }),
        peersChanged: (changes, source) => this.#peersChanged(changes, source),
        lost: ({ registry, retryInMs, reason }) =>
          this.#emit({ event: "registry_lost", registry, retryInMs, reason }),
        refused: (error, everRegistered) => this.#refused(error, everRegistered),
        kicked: () =>
          this.#emit({
            event: "error",
            message: "The registry operator removed this peer; it will not re-register",
          }),
      },
    });
    this.finished = new Promise((resolve, reject) => {
      this.#fatal = reject;
      this.#resolveFinished = resolve;
    });
    // Library users may never look at `finished`; that must not crash them.
    this.finished.catch(() => {});
  }

  /**
   * Loads (or creates) the identity, binds the listener, emits `ready` and
   * starts registering in the background.
   */
  static async start(options: PeerOptions): Promise<Peer> {
    let identity = options.identity;
    if (!identity) {
      if (options.dataDir === undefined) {
        throw new TypeError("PeerOptions needs dataDir or identity");
      }
      identity = (await Identity.loadOrCreate(options.dataDir)).identity;
    }
    const peer = new Peer({ ...options, identity });
    peer.#emit({ event: "ready", id: peer.id, name: peer.name, listen: peer.listen });
    peer.#client.start();
    return peer;
  }

  /** Adds an event listener; returns a function that removes it. */
  onEvent(listener: PeerEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Other peers this peer knows of, by name. */
  peers(): PeerInfo[] {
    return this.#directory.list();
  }

  /** True while registered with the registry. */
  get registered(): boolean {
    return this.#client.registered;
  }

  /** Finds a peer by name, ID or ID prefix. */
  findPeer(nameOrId: string): PeerInfo | undefined {
    return this.#directory.resolve(nameOrId);
  }

  /** Sends `text` to one peer. Problems are reported as `error`/`failed` events. */
  async send(to: string, text: string): Promise<string | undefined> {
    const problem = textProblem(text);
    if (problem) return void this.#emit({ event: "error", message: problem });
    const peer = this.#recipient(to);
    if (!peer) return undefined;
    return await this.#messenger.send(peer, text);
  }

  /** Sends `text` to every known peer. */
  async broadcast(text: string): Promise<string | undefined> {
    const problem = textProblem(text);
    if (problem) return void this.#emit({ event: "error", message: problem });
    const id = await this.#messenger.broadcast(text);
    if (id === undefined) this.#emit({ event: "error", message: "No other peer is online" });
    return id;
  }

  /** Emits the conversation with `withWhom` as a `history` event. */
  async history(withWhom: string, limit = 20): Promise<void> {
    const peer = this.#recipient(withWhom);
    if (!peer) return;
    this.#emit({
      event: "history",
      with: peer,
      messages: await this.#messenger.history(peer, limit),
    });
  }

  /** Marks a received message read; its sender gets a `read` receipt. */
  async markRead(id: string): Promise<void> {
    if (!await this.#messenger.markRead(id)) {
      this.#emit({ event: "error", message: `No received message has ID ${id}` });
    }
  }

  /** Emits the list as a `peers` event. */
  listPeers(): void {
    this.#emit({ event: "peers", peers: this.peers() });
  }

  /** Deregisters, closes every link, emits `bye`. Idempotent. */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#client.stop();
      this.#messenger.close();
      await this.#links.shutdown();
      this.#store.close();
      this.#emit({ event: "bye" });
      this.#resolveFinished?.();
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  #recipient(nameOrId: string): PeerInfo | undefined {
    if (nameKey(nameOrId) === nameKey(this.name) || nameOrId === this.id) {
      this.#emit({ event: "error", message: "That is this peer; pick someone else (see /peers)" });
      return undefined;
    }
    const peer = this.#directory.resolve(nameOrId);
    if (!peer) {
      this.#emit({
        event: "error",
        message: `No peer named ${JSON.stringify(nameOrId)} is known (see /peers)`,
      });
    }
    return peer;
  }

  #peersChanged(changes: DirectoryChange[], source: "snapshot" | "delta"): void {
    const quiet = source === "snapshot" && this.#firstSnapshot;
    for (const change of changes) {
      if (change.kind === "left") this.#links.closeLinksTo(change.peer.id);
      if (change.kind === "updated" && change.peer.address !== change.previous.address) {
        this.#links.closeLinksTo(change.peer.id);
      }
      if (quiet) continue;
      if (change.kind === "joined") this.#emit({ event: "peer_joined", peer: change.peer });
      if (change.kind === "left") {
        this.#emit({ event: "peer_left", peer: change.peer, reason: change.reason });
      }
    }
    if (source === "snapshot") {
      this.#firstSnapshot = false;
      this.listPeers();
    }
  }

  #refused(error: ProtocolError, everRegistered: boolean): boolean {
    this.#emit({ event: "error", message: `Registry refused this peer: ${error.message}` });
    if (everRegistered || !PERMANENT_REFUSALS.has(error.code)) return true;
    // Refused on first contact for a reason that will not change: stop
    // rather than retry forever under a name someone else holds.
    this.#fatal?.(error);
    return false;
  }

  #reportError(error: unknown): void {
    this.#logger.error("peer error", { error: String(error) });
    this.#emit({ event: "error", message: String((error as Error)?.message ?? error) });
  }

  #emit(event: PeerEvent): void {
    for (const listener of this.#listeners) listener(event);
    if (event.event === "peer_joined" || event.event === "peer_left") {
      this.#logger.debug(event.event, { name: event.peer.name, id: shortId(event.peer.id) });
    }
  }
}
