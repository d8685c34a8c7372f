/**
 * A running peer: its identity, its store, its listener for direct links,
 * its link to the registry and its copy of the peer list, wired together.
 * User interfaces call the methods here, which return their answer or throw
 * a {@linkcode PeerError}; news nobody asked for (a message arrived, a peer
 * left) comes as {@linkcode PeerEvent}s.
 */

import {
  formatHostPort,
  type HostPort,
  MAX_TEXT_LENGTH,
  nameKey,
  type PeerInfo,
  type ProtocolError,
  SHORT_ID_LENGTH,
  shortId,
} from "../protocol/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import {
  Courier,
  type HistoryEntry,
  Inbox,
  Messenger,
  offerSummary,
  type SenderLimits,
} from "./delivery/mod.ts";
import {
  type FileEvent,
  FileTransferError,
  type FileTransferInfo,
  FileTransfers,
  TransferBook,
} from "./files/mod.ts";
import {
  type BackoffOptions,
  type DirectLink,
  type LinkLimits,
  type LinkPath,
  type LinkPathChoice,
  LinkPool,
  type Rendezvous,
} from "./link/mod.ts";
import {
  DataDirLock,
  Identity,
  type KvImport,
  LEGACY_STORE_FILE,
  MessageStore,
  PinBook,
  STORE_FILE,
  type StoredMessage,
} from "./store/mod.ts";
import type { KeyChange, OutboxEntry, PeerEvent, PeerEventListener } from "./events.ts";
import { PeerError } from "./peer_error.ts";
import { type DirectoryChange, MIN_ID_PREFIX, PeerDirectory } from "./peer_directory.ts";
import {
  RoomBook,
  RoomError,
  type RoomHistoryEntry,
  Rooms,
  type RoomSummary,
  type RoomView,
} from "./rooms/mod.ts";
import { type ChangeSource, RegistryClient } from "./registry_client.ts";
import { LOCAL_REGISTRY, RegistryDiscovery } from "./registry_discovery.ts";

/** How to run a peer. */
export interface PeerOptions {
  name: string;
  /**
   * Where to register. Default `127.0.0.1:7070`. Several: a cluster's
   * instances, tried in turn when one is lost.
   */
  registry?: HostPort | HostPort[];
  /**
   * Without `registry`: before each attempt, try 127.0.0.1:7070 and then ask
   * the LAN (mDNS), announcing what it finds as `registry_found`. Default
   * false; the CLI turns it on when `--registry` is not given.
   */
  discoverRegistry?: boolean;
  /** Where to accept direct links. Default `0.0.0.0:0` (any free port). */
  listen?: HostPort;
  /** `HOST:PORT` to publish instead of the observed address. */
  advertise?: string;
  /** How links may be made, tried in this order. Default direct, punch, relay. */
  linkPaths?: readonly LinkPathChoice[];
  /** Limits of the link listener against abuse. Default `DEFAULT_LINK_LIMITS`. */
  linkLimits?: Partial<LinkLimits>;
  /**
   * Directory holding the identity and the message store (locked while the
   * peer runs). Without it, `identity` is required and nothing is kept.
   */
  dataDir?: string;
  /** Use this identity instead of the one in `dataDir` (tests, benchmarks). */
  identity?: Identity;
  /** Reconnect timing for the registry. */
  backoff?: BackoffOptions;
  /**
   * Where accepted files go unless an accept names a directory. Default
   * `downloads` in the data directory (without one, the current directory).
   */
  downloadDir?: string;
  /** Names whose file offers are accepted without asking (while their key is the pinned one). */
  acceptFilesFrom?: readonly string[];
  /** See `CourierOptions.ackTimeoutMs`. */
  ackTimeoutMs?: number;
  /** What one sender may make this peer store (defaults: `DEFAULT_SENDER_LIMITS`). */
  senderLimits?: Partial<SenderLimits>;
  /** Hears every event, from `ready` on. */
  onEvent?: PeerEventListener;
  logger?: Logger;
}

/** Where file transfers are recorded, inside the data directory. */
const TRANSFERS_DIR = "files";

/** Codes that mean retrying the same registration can never succeed. */
const PERMANENT_REFUSALS = new Set([
  "name_taken",
  "bad_signature",
  "id_mismatch",
  "invalid_message",
  "unsupported_version",
]);

interface PeerParts {
  identity: Identity;
  store: MessageStore;
  pins: PinBook;
  rooms: RoomBook;
  lock: DataDirLock | undefined;
  transfers: TransferBook;
}

/** One running peer. */
export class Peer implements AsyncDisposable {
  readonly id: string;
  readonly name: string;
  /** Where direct links are accepted, as bound. */
  readonly listen: string;
  /**
   * Settles when the peer is done: resolves after {@linkcode shutdown},
   * rejects if the registry refused it for good (for example, name taken).
   */
  readonly finished: Promise<void>;
  readonly #logger: Logger;
  readonly #listeners = new Set<PeerEventListener>();
  readonly #directory: PeerDirectory;
  readonly #links: LinkPool;
  readonly #courier: Courier;
  readonly #inbox: Inbox;
  readonly #messenger: Messenger;
  readonly #files: FileTransfers;
  readonly #rooms: Rooms;
  readonly #client: RegistryClient;
  readonly #store: MessageStore;
  readonly #pins: PinBook;
  readonly #lock: DataDirLock | undefined;
  /** Key changes already reported this run, as `name/newId`. */
  readonly #reportedKeyChanges = new Set<string>();
  /** Refused names already logged, as `id/name`. */
  readonly #reportedNames = new Set<string>();
  /** Key changes not trusted yet, by name key: what a window opened later must show. */
  readonly #unresolvedKeyChanges = new Map<string, KeyChange>();
  #pinWork: Promise<void> = Promise.resolve();
  #firstSnapshot = true;
  #stopping: Promise<void> | undefined;
  #fatal: ((error: Error) => void) | undefined;
  #resolveFinished: (() => void) | undefined;

  private constructor(options: PeerOptions, parts: PeerParts) {
    this.#logger = options.logger ?? silentLogger;
    this.id = parts.identity.id;
    this.name = options.name;
    this.#store = parts.store;
    this.#pins = parts.pins;
    this.#lock = parts.lock;
    if (options.onEvent) this.#listeners.add(options.onEvent);
    this.#directory = new PeerDirectory(this.id, {
      onRefusedName: (peer, problem) => this.#refusedName(peer, problem),
    });
    // Punches and relays go through the registry client, made just below.
    const rendezvous: Rendezvous = {
      get registry() {
        return client().registry;
      },
      get roundTripMs() {
        return client().roundTripMs;
      },
      send: (message) => client().send(message),
    };
    const client = () => this.#client;
    this.#links = LinkPool.start({
      identity: parts.identity,
      listen: options.listen ?? { hostname: "0.0.0.0", port: 0 },
      logger: this.#logger,
      paths: options.linkPaths,
      limits: options.linkLimits,
      rendezvous,
      handler: {
        message: (link, message) => {
          // Offers are stored messages (the inbox); the rest of a transfer is the files'.
          if (message.type.startsWith("file_") && message.type !== "file_offer") {
            this.#files.receive(link, message as Parameters<FileTransfers["receive"]>[1]);
          } else if (message.type.startsWith("room_")) {
            this.#rooms.receive(link, message as Parameters<Rooms["receive"]>[1]);
          } else this.#inbox.receive(link, message);
        },
        drained: (link) => this.#inbox.drained(link),
        linkOpened: (link) => this.#linkOpened(link),
        linkClosed: (link) => {
          this.#courier.linkClosed(link);
          this.#files.linkClosed(link);
        },
      },
    });
    this.listen = formatHostPort(this.#links.address);
    const emit = (event: PeerEvent) => this.#emit(event);
    this.#courier = new Courier({
      links: this.#links,
      directory: this.#directory,
      store: this.#store,
      emit,
      logger: this.#logger,
      ackTimeoutMs: options.ackTimeoutMs,
      isTrusted: (peerId) => this.#pins.isTrusted(peerId),
      roomOf: (message) => this.#rooms.membershipFor(message),
    });
    const delivery = { store: this.#store, directory: this.#directory, emit };
    this.#inbox = new Inbox({
      ...delivery,
      courier: this.#courier,
      logger: this.#logger,
      vouchesFor: (peer) => this.#pins.vouchesFor(peer),
      offered: (from, offer) => this.#files.offered(from, offer),
      rooms: { admit: (peerId, chats) => this.#rooms.admit(peerId, chats) },
      limits: options.senderLimits,
    });
    this.#messenger = new Messenger({ ...delivery, courier: this.#courier });
    this.#files = new FileTransfers({
      downloadDir: options.downloadDir ??
        (options.dataDir === undefined ? "." : `${options.dataDir}/downloads`),
      acceptFrom: options.acceptFilesFrom,
      uploadDir: options.dataDir === undefined ? undefined : `${options.dataDir}/files/uploads`,
      links: this.#links,
      directory: this.#directory,
      offer: (peer, text, id) => this.#messenger.offer(peer, text, id),
      isVerified: (peer) => this.#pins.vouchesFor(peer),
      emit,
      logger: this.#logger,
    }, parts.transfers);
    this.#rooms = new Rooms({
      ...delivery,
      identity: parts.identity,
      name: this.name,
      book: parts.rooms,
      courier: this.#courier,
      links: this.#links,
      logger: this.#logger,
    });
    const discovery = options.registry === undefined && options.discoverRegistry
      ? new RegistryDiscovery({
        logger: this.#logger,
        found: ({ registry, instance }) =>
          this.#emit({ event: "registry_found", registry: formatHostPort(registry), instance }),
      })
      : undefined;
    this.#client = new RegistryClient({
      registries: [options.registry ?? LOCAL_REGISTRY].flat(),
      locate: discovery && (() => discovery.next()),
      identity: parts.identity,
      name: this.name,
      directory: this.#directory,
      listenPort: this.#links.address.port,
      advertise: options.advertise,
      backoff: options.backoff,
      connect: (registry, ms) => this.#links.connectRegistry(registry, ms),
      handler: {
        registered: ({ registry, reconnects, awayMs, attempts }) => {
          this.#emit(
            reconnects > 0
              ? { event: "registered", registry, reconnects, awayMs, attempts }
              : { event: "registered", registry, reconnects },
          );
          // A registry again: what waits for listed peers can be punched or
          // relayed now, without waiting for a redial timer.
          for (const peer of this.#directory.list()) {
            this.#courier.peerAvailable(peer.id);
            this.#rooms.peerAvailable(peer.id);
          }
        },
        peersChanged: (changes, source) => this.#peersChanged(changes, source),
        lost: ({ registry, retryInMs, reason }) => {
          this.#links.rendezvousLost();
          this.#emit({ event: "registry_lost", registry, retryInMs, reason });
        },
        retry: ({ registry, attempts, retryInMs, reason }) =>
          this.#emit({ event: "registry_retry", registry, attempts, retryInMs, reason }),
        rendezvous: (message) => this.#links.rendezvousMessage(message),
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
   * Loads (or creates) the identity, locks the data directory, opens the
   * store, binds the listener, emits `ready`, picks up undelivered messages
   * and starts registering in the background.
   */
  static async start(options: PeerOptions): Promise<Peer> {
    const { dataDir } = options;
    if (dataDir === undefined && !options.identity) {
      throw new TypeError("PeerOptions needs dataDir or identity");
    }
    const lock = dataDir === undefined ? undefined : await DataDirLock.acquire(dataDir);
    let store: MessageStore | undefined;
    try {
      const identity = options.identity ?? (await Identity.loadOrCreate(dataDir!)).identity;
      store = dataDir === undefined
        ? await MessageStore.open(":memory:")
        : await MessageStore.open(`${dataDir}/${STORE_FILE}`, {
          legacyKv: `${dataDir}/${LEGACY_STORE_FILE}`,
        });
      if (store.upgrade) logUpgrade(options.logger ?? silentLogger, store.upgrade);
      const known = await store.knownPeers();
      const pins = await PinBook.load(store);
      const transfers = await TransferBook.open(
        dataDir === undefined ? undefined : `${dataDir}/${TRANSFERS_DIR}`,
      );
      const rooms = await RoomBook.load(store, identity.id, options.logger ?? silentLogger);
      const peer = new Peer(options, { identity, store, pins, rooms, lock, transfers });
      peer.#directory.rememberDeparted(known);
      peer.#emit({ event: "ready", id: peer.id, name: peer.name, listen: peer.listen });
      await peer.#rooms.restore();
      await peer.#courier.restore();
      await peer.#files.restore();
      peer.#client.start();
      return peer;
    } catch (error) {
      await store?.close();
      lock?.release();
      throw error;
    }
  }

  /** Adds an event listener; returns a function that removes it. */
  onEvent(listener: PeerEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Other peers online now, by name. */
  peers(): PeerInfo[] {
    return this.#directory.list();
  }

  /** The path of the open link to `peerId` (`direct`, `punched`, `relayed`), if one is open. */
  linkPath(peerId: string): LinkPath | undefined {
    return this.#links.linkPath(peerId);
  }

  /** The path of each open link, by peer ID, for the peers online now. */
  linkPaths(): Record<string, LinkPath> {
    const paths: Record<string, LinkPath> = {};
    for (const peer of this.#directory.list()) {
      const path = this.#links.linkPath(peer.id);
      if (path) paths[peer.id] = path;
    }
    return paths;
  }

  /** True while registered with the registry. */
  get registered(): boolean {
    return this.#client.registered;
  }

  /** Finds a peer by name, ID or ID prefix, online or seen before. */
  findPeer(nameOrId: string): PeerInfo | undefined {
    return this.#directory.resolve(nameOrId, { offline: true });
  }

  /**
   * Sends `text` to one peer, online or not (it waits in the outbox).
   * Resolves with the message ID once stored; progress comes as events.
   * Throws {@linkcode PeerError}.
   */
  send(to: string, text: string): Promise<string> {
    // Written without async layers: a burst of sends keeps one promise per
    // message alive until it is stored, not a chain of suspended functions.
    let peer: PeerInfo;
    try {
      checkText(text);
      peer = this.#recipient(to);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#messenger.send(peer, text).catch((error) => this.#storeFailed(error));
  }

  /** Sends `text` to every peer online now; resolves with its ID. Throws {@linkcode PeerError}. */
  async broadcast(text: string): Promise<string> {
    checkText(text);
    const id = await this.#stored(() => this.#messenger.broadcast(text));
    if (id === undefined) throw new PeerError("nobody_online", "No other peer is online");
    return id;
  }

  /**
   * Everyone this peer knows: online peers, then peers seen before (most
   * recently seen first), each once.
   */
  contacts(): { peer: PeerInfo; online: boolean }[] {
    const online = this.#directory.list();
    const onlineIds = new Set(online.map((p) => p.id));
    const offline = this.#directory.departed().filter((p) => !onlineIds.has(p.id));
    return [
      ...online.map((peer) => ({ peer, online: true })),
      ...offline.map((peer) => ({ peer, online: false })),
    ];
  }

  /** A peer by exact ID, online or seen before. */
  lastKnown(id: string): PeerInfo | undefined {
    return this.#directory.lastKnown(id);
  }

  /**
   * The conversation with `peerId` (newest `limit`, oldest first; with
   * `before`, those older than that message ID). Throws {@linkcode PeerError}.
   */
  async conversation(peerId: string, limit: number, before?: string): Promise<HistoryEntry[]> {
    return await this.#stored(() => this.#messenger.history(peerId, limit, before));
  }

  /**
   * The conversation with a peer named by name, ID or ID prefix.
   * Throws {@linkcode PeerError}.
   */
  async history(
    withWhom: string,
    limit = 20,
  ): Promise<{ with: PeerInfo; messages: HistoryEntry[]; unverified: boolean }> {
    const peer = this.#recipient(withWhom);
    const messages = await this.conversation(peer.id, limit);
    return { with: peer, messages, unverified: !this.#pins.vouchesFor(peer) };
  }

  /** False when `peer`'s name is pinned to another key (a key change not yet trusted). */
  isVerified(peer: PeerInfo): boolean {
    return this.#pins.vouchesFor(peer);
  }

  /**
   * Marks a received message read; its sender gets a `read` receipt (sent
   * reliably, like a message). Resolves with the sender. Throws
   * {@linkcode PeerError} (`unknown_message`, `already_read`).
   */
  async markRead(id: string): Promise<PeerInfo> {
    const outcome = await this.#stored(() => this.#messenger.markRead(id));
    if (!outcome) throw new PeerError("unknown_message", `No received message has ID ${id}`);
    if (!outcome.wasUnread) {
      throw new PeerError("already_read", `Message ${id} was already marked read`);
    }
    return this.#knownOrShort(outcome.peerId);
  }

  /**
   * Withdraws a message that was not delivered yet; its recipients get
   * `failed`. `id` may be a unique prefix of 6 or more characters of the ID
   * (as /outbox shows it). Resolves with the full ID and whom it was
   * withdrawn from. Throws {@linkcode PeerError} (`not_pending`, `ambiguous_id`).
   */
  async cancel(idOrPrefix: string): Promise<{ id: string; to: PeerInfo[] }> {
    const id = this.#pendingId(idOrPrefix);
    const withdrawn = await this.#stored(() => this.#messenger.cancel(id));
    if (withdrawn.length === 0) {
      throw new PeerError("not_pending", `No undelivered message has ID ${idOrPrefix}`);
    }
    return { id, to: withdrawn.map((peerId) => this.#knownOrShort(peerId)) };
  }

  /**
   * Accepts the key an online peer now has under its name (after a
   * `key_changed`), and delivers what waited for it. `id` is the key being
   * accepted — its ID, or the first {@linkcode SHORT_ID_LENGTH}+ characters
   * of it as `key_changed` showed them — so that trust never goes to a
   * third key that took the name meanwhile. Everyone listening hears
   * `trusted`. Throws {@linkcode PeerError} (`not_online`, `id_too_short`,
   * `key_mismatch`).
   */
  async trust(name: string, id: string): Promise<{ peer: PeerInfo; previousId?: string }> {
    if (id.length < SHORT_ID_LENGTH) {
      throw new PeerError(
        "id_too_short",
        `Name the key you accept by at least ${SHORT_ID_LENGTH} characters of its ID ` +
          `(as in /trust ${name} ${"x".repeat(SHORT_ID_LENGTH)})`,
      );
    }
    const peer = this.#directory.get(this.#directory.resolve(name)?.id ?? "");
    if (!peer || nameKey(peer.name) !== nameKey(name)) {
      throw new PeerError("not_online", `No peer named ${JSON.stringify(name)} is online`);
    }
    if (!peer.id.startsWith(id)) {
      throw new PeerError(
        "key_mismatch",
        `${peer.name} is now ${shortId(peer.id)}, not ${id}: the name changed hands again. ` +
          `Nothing was trusted; check with them which key is theirs`,
      );
    }
    await this.#pinWork;
    const previous = await this.#stored(() => this.#pins.trust(peer));
    const previousId = previous?.id === peer.id ? undefined : previous?.id;
    this.#unresolvedKeyChanges.delete(nameKey(peer.name));
    this.#emit({ event: "trusted", peer, previousId });
    this.#courier.peerAvailable(peer.id);
    return { peer, previousId };
  }

  /**
   * Names listed with a key other than the pinned one that the user has not
   * trusted yet, oldest first: the `key_changed` events still standing.
   */
  keyChanges(): KeyChange[] {
    return [...this.#unresolvedKeyChanges.values()].map((change) => ({ ...change }));
  }

  /** Undelivered outgoing messages, oldest first per recipient (a file offer as `📎 NAME (SIZE)`). */
  pending(): StoredMessage[] {
    return this.#courier.pending().map((m) => ({ ...m, text: offerSummary(m.text) }));
  }

  /**
   * Offers the file at `path` to a peer, online or not (the offer waits in
   * the outbox). Resolves once the file is hashed and the offer stored.
   * Throws {@linkcode PeerError}.
   */
  async sendFile(to: string, path: string): Promise<Extract<FileEvent, { event: "file_offered" }>> {
    const peer = this.#recipient(to);
    return await this.#filed(() => this.#files.send(peer, path));
  }

  /** Like {@linkcode sendFile}, for bytes handed over as a stream (the web window's uploads). */
  async sendFileBytes(
    to: string,
    name: string,
    body: ReadableStream<Uint8Array>,
  ): Promise<Extract<FileEvent, { event: "file_offered" }>> {
    const peer = this.#recipient(to);
    return await this.#filed(() => this.#files.sendBytes(peer, name, body));
  }

  /**
   * Accepts a file offered to this peer (its ID or a unique prefix of 6+
   * characters) into `dir`, default the download directory. Throws
   * {@linkcode PeerError} (`unknown_transfer`, `no_space`, …).
   */
  async acceptFile(id: string, dir?: string): Promise<FileTransferInfo> {
    const record = await this.#filed(() => this.#files.accept(id, dir));
    return this.files().find((t) => t.id === record.id)!;
  }

  /** Declines a file offered to this peer; its sender hears `file_declined`. */
  async declineFile(id: string): Promise<FileTransferInfo> {
    const record = await this.#filed(() => this.#files.decline(id));
    return this.files().find((t) => t.id === record.id)!;
  }

  /** Every file transfer, in progress and done, newest first. */
  files(): FileTransferInfo[] {
    return this.#files.list();
  }

  /** The undelivered messages, each with its recipient as last known. */
  outbox(): OutboxEntry[] {
    return this.pending().map((m) => ({
      id: m.id,
      to: this.#knownOrShort(m.peerId),
      text: m.text,
      sentAt: m.sentAt,
      status: m.status,
    }));
  }

  // ---- rooms ---------------------------------------------------------------------

  /**
   * Creates a room of this peer and `members` (names, IDs or ID prefixes of
   * peers online or seen before); this peer signs its every version.
   * Everyone listening hears `room`. Throws {@linkcode PeerError}.
   */
  async createRoom(name: string, members: string[] = []): Promise<RoomView> {
    const peers = members.map((member) => this.#recipient(member));
    return await this.#inRooms(() => this.#rooms.create(name, peers));
  }

  /** Adds members to a room this peer created. Throws {@linkcode PeerError} (`not_creator`, …). */
  async inviteToRoom(room: string, members: string[]): Promise<RoomView> {
    const peers = members.map((member) => this.#recipient(member));
    return await this.#inRooms(() => this.#rooms.invite(room, peers));
  }

  /** Leaves a room (its creator applies it). Throws {@linkcode PeerError}. */
  async leaveRoom(room: string): Promise<RoomView> {
    return await this.#inRooms(() => this.#rooms.leave(room));
  }

  /**
   * Posts `text` to a room: stored once per member, then delivered to each
   * (an offline member gets it when it is back). Resolves with the message
   * ID once stored. Throws {@linkcode PeerError}.
   */
  async postToRoom(room: string, text: string): Promise<{ id: string; room: RoomView }> {
    checkText(text);
    return await this.#inRooms(() => this.#rooms.post(room, text));
  }

  /** Every room this peer knows, with its unread count. */
  async rooms(): Promise<RoomSummary[]> {
    return await this.#inRooms(() => this.#rooms.list());
  }

  /**
   * A room's newest `limit` messages (with `before`, those older than that
   * message ID), oldest first. Throws {@linkcode PeerError}.
   */
  async roomHistory(
    room: string,
    limit = 20,
    before?: string,
  ): Promise<{ room: RoomView; messages: RoomHistoryEntry[] }> {
    return await this.#inRooms(() => this.#rooms.history(room, limit, before));
  }

  /** Deregisters, closes every link and the store, emits `bye`. Idempotent. */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#client.stop();
      await this.#files.shutdown();
      await this.#links.shutdown();
      await this.#inbox.settled();
      await this.#rooms.settled();
      await this.#courier.close();
      await this.#pinWork;
      await this.#store.close();
      this.#lock?.release();
      this.#emit({ event: "bye" });
      this.#resolveFinished?.();
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** Runs a store-backed task; a store failure becomes a {@linkcode PeerError}. */
  async #stored<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (error) {
      if (error instanceof PeerError) throw error;
      this.#storeFailed(error);
    }
  }

  /** Logs a failed store operation and throws it as a {@linkcode PeerError}. */
  #storeFailed(error: unknown): never {
    this.#logger.error("store failure", { error: String(error) });
    throw new PeerError("store_failed", (error as Error).message, { cause: error });
  }

  /** Runs a file task; its refusal becomes a {@linkcode PeerError} with the same code. */
  async #filed<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (error) {
      if (!(error instanceof FileTransferError)) throw error;
      throw new PeerError(error.code, error.message, { cause: error });
    }
  }

  /** Runs a room task; a refusal or a store failure becomes a {@linkcode PeerError}. */
  async #inRooms<T>(task: () => Promise<T>): Promise<T> {
    return await this.#stored(async () => {
      try {
        return await task();
      } catch (error) {
        if (!(error instanceof RoomError)) throw error;
        throw new PeerError(error.code, error.message);
      }
    });
  }

  /** A peer as last known, or a stand-in named by its short ID. */
  #knownOrShort(peerId: string): PeerInfo {
    return this.#directory.lastKnown(peerId) ?? { id: peerId, name: shortId(peerId), address: "" };
  }

  /** The undelivered message `idOrPrefix` names: its full ID or a unique prefix of 6+. */
  #pendingId(idOrPrefix: string): string {
    const wanted = idOrPrefix.trim().toLowerCase();
    const ids = new Set(this.pending().map((m) => m.id));
    if (ids.has(wanted)) return wanted;
    const matches = wanted.length < MIN_ID_PREFIX
      ? []
      : [...ids].filter((id) => id.startsWith(wanted));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      throw new PeerError(
        "ambiguous_id",
        `${idOrPrefix} is the start of ${matches.length} undelivered messages' IDs; ` +
          `type more of it (see /outbox)`,
      );
    }
    throw new PeerError(
      "not_pending",
      `No undelivered message has ID ${idOrPrefix}` +
        (wanted.length < MIN_ID_PREFIX
          ? ` (give the ID or its first ${MIN_ID_PREFIX}+ characters)`
          : ""),
    );
  }

  #recipient(nameOrId: string): PeerInfo {
    if (nameKey(nameOrId) === nameKey(this.name) || nameOrId === this.id) {
      throw new PeerError("self", "That is this peer; pick someone else (see /peers)");
    }
    const peer = this.#directory.resolve(nameOrId, { offline: true });
    if (!peer) {
      throw new PeerError(
        "unknown_peer",
        `No peer named ${JSON.stringify(nameOrId)} is known (see /peers)`,
      );
    }
    return peer;
  }

  #peersChanged(changes: DirectoryChange[], source: ChangeSource): void {
    const quiet = source === "snapshot" && this.#firstSnapshot;
    const seen: PeerInfo[] = [];
    for (const change of changes) {
      if (change.kind === "left") this.#links.closeLinksTo(change.peer.id);
      if (change.kind === "updated" && change.peer.address !== change.previous.address) {
        this.#links.closeLinksTo(change.peer.id);
      }
      if (change.kind !== "left") {
        seen.push(change.peer);
        this.#checkPin(change.peer);
        this.#courier.peerAvailable(change.peer.id);
        this.#files.peerAvailable(change.peer.id);
        this.#rooms.peerAvailable(change.peer.id);
      }
      if (quiet) continue;
      if (change.kind === "joined") this.#emit({ event: "peer_joined", peer: change.peer });
      if (change.kind === "updated") {
        this.#emit({ event: "peer_updated", peer: change.peer, previous: change.previous });
      }
      if (change.kind === "left") {
        this.#emit({ event: "peer_left", peer: change.peer, reason: change.reason });
      }
    }
    if (seen.length > 0) {
      this.#store.rememberPeers(seen).catch((error) =>
        this.#logger.warn("could not remember peers", { error: String(error) })
      );
    }
    if (source === "snapshot") {
      this.#firstSnapshot = false;
      this.#emit({ event: "peers", peers: this.peers(), links: this.linkPaths() });
    }
  }

  #linkOpened(link: DirectLink): void {
    const peer = this.#directory.lastKnown(link.peerId) ??
      { id: link.peerId, name: shortId(link.peerId), address: "" };
    this.#emit({ event: "link", peer, path: link.path });
    this.#courier.linkOpened(link);
    this.#files.linkOpened(link);
    this.#rooms.linkOpened(link);
  }

  /** Pins a newly seen name, or reports a name that now has another key. */
  #checkPin(peer: PeerInfo): void {
    const verdict = this.#pins.observe(peer);
    this.#pinWork = this.#pinWork.then(async () => {
      const outcome = await verdict;
      // The pinned key came back: nothing stands any more.
      if (outcome.kind === "trusted") this.#unresolvedKeyChanges.delete(nameKey(peer.name));
      if (outcome.kind !== "changed") return;
      const change = { name: peer.name, oldId: outcome.pin.id, newId: peer.id };
      this.#unresolvedKeyChanges.set(nameKey(peer.name), change);
      const key = `${nameKey(peer.name)}/${peer.id}`;
      if (this.#reportedKeyChanges.has(key)) return;
      this.#reportedKeyChanges.add(key);
      this.#emit({ event: "key_changed", ...change });
    }).catch((error) => this.#logger.warn("could not pin a key", { error: String(error) }));
  }

  /** A name from the registry this peer does not accept: said once per peer and name. */
  #refusedName(peer: PeerInfo, problem: string): void {
    const key = `${peer.id}/${peer.name}`;
    if (this.#reportedNames.has(key)) return;
    this.#reportedNames.add(key);
    this.#logger.warn("registry listed a peer under a name that is not allowed; ignored", {
      id: shortId(peer.id),
      problem,
    });
  }

  #refused(error: ProtocolError, everRegistered: boolean): boolean {
    this.#emit({ event: "error", message: `Registry refused this peer: ${error.message}` });
    if (everRegistered || !PERMANENT_REFUSALS.has(error.code)) return true;
    // Refused on first contact for a reason that will not change: stop
    // rather than retry forever under a name someone else holds.
    this.#fatal?.(error);
    return false;
  }

  #emit(event: PeerEvent): void {
    for (const listener of this.#listeners) listener(event);
    if (event.event === "peer_joined" || event.event === "peer_left") {
      this.#logger.debug(event.event, { name: event.peer.name, id: shortId(event.peer.id) });
    }
  }
}

/** Throws {@linkcode PeerError} for a text that cannot be sent. */
function checkText(text: string): void {
  if (text.trim() === "") throw new PeerError("text_empty", "Message is empty");
  if (text.length > MAX_TEXT_LENGTH) {
    throw new PeerError(
      "text_too_long",
      `Message too long: ${text.length} characters exceeds the ${MAX_TEXT_LENGTH}-character limit`,
    );
  }
}

/** Says once, when it happens, that an earlier version's store was imported. */
function logUpgrade(logger: Logger, upgrade: KvImport): void {
  logger.info("message store upgraded from Deno KV", {
    messages: upgrade.messages,
    outbox: upgrade.outbox,
    receipts: upgrade.receipts,
    peers: upgrade.peers,
    pins: upgrade.pins,
    skipped: upgrade.skipped,
    backup: upgrade.backup,
  });
}
