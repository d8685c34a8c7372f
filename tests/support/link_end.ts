/**
 * The parts of a peer in this process, for tests of one part at a time: a
 * {@linkcode LinkEnd} is a real {@linkcode LinkPool} on a loopback port that
 * records everything it reports; a {@linkcode DeliveryEnd} adds a real
 * message store in a temporary directory, the peer directory, and the
 * {@linkcode Courier}, {@linkcode Inbox} and {@linkcode Messenger} wired to
 * them as `Peer` wires them. Nothing is mocked: links are real TCP
 * connections with the real handshake, the store is SQLite on disk.
 *
 * @example
 * ```ts
 * await using bob = await LinkEnd.start("bob");
 * await using alice = await DeliveryEnd.start("alice", { dataDir: dir.path });
 * alice.list(bob.info);
 * await alice.messenger.send(bob.info, "hi");
 * await bob.waitFor(() => bob.chats().length === 1, "the chat");
 * ```
 */

import { Notifier, waitAtMost } from "../../async/mod.ts";
import { silentLogger } from "../../log/mod.ts";
import type { PeerInfo } from "../../protocol/mod.ts";
import { type BackoffOptions, Identity, PeerDirectory } from "../../peer/mod.ts";
import { Courier, type DeliveryEvent, Inbox, Messenger } from "../../peer/delivery/mod.ts";
import {
  type DirectLink,
  type LinkPayload,
  LinkPool,
  type LinkPoolHandler,
} from "../../peer/link/mod.ts";
import { MessageStore, STORE_FILE } from "../../peer/store/mod.ts";

const DEFAULT_WAIT_MS = 5000;

/** What a {@linkcode LinkEnd} received on one link. */
export interface Received {
  link: DirectLink;
  message: LinkPayload;
}

/** Options for {@linkcode LinkEnd.start}. */
export interface LinkEndOptions {
  identity?: Identity;
  /** The pool's connect and handshake timeout. */
  timeoutMs?: number;
}

/** A peer's link pool on `127.0.0.1:0` that records what it is told. */
export class LinkEnd implements AsyncDisposable {
  readonly identity: Identity;
  readonly pool: LinkPool;
  /** This end as the registry would list it. */
  readonly info: PeerInfo;
  /** Every message received, in order, with the link it came on. */
  readonly received: Received[] = [];
  /** Links opened and closed, in order (either direction). */
  readonly opened: DirectLink[] = [];
  readonly closed: DirectLink[] = [];
  /** How many times the pool said a link's arrivals were all handed over. */
  drains = 0;
  /** Also told everything the pool reports, after it is recorded (delivery, in a DeliveryEnd). */
  handler: Partial<LinkPoolHandler> = {};
  readonly #changes = new Notifier();

  private constructor(name: string, identity: Identity, options: LinkEndOptions) {
    this.identity = identity;
    this.pool = LinkPool.start({
      identity,
      listen: { hostname: "127.0.0.1", port: 0 },
      logger: silentLogger,
      timeoutMs: options.timeoutMs,
      handler: {
        message: (link, message) => {
          this.received.push({ link, message });
          this.handler.message?.(link, message);
          this.#changes.notify();
        },
        drained: (link) => {
          this.drains++;
          const holding = this.handler.drained?.(link);
          this.#changes.notify();
          return holding;
        },
        linkOpened: (link) => {
          this.opened.push(link);
          this.handler.linkOpened?.(link);
          this.#changes.notify();
        },
        linkClosed: (link) => {
          this.closed.push(link);
          this.handler.linkClosed?.(link);
          this.#changes.notify();
        },
      },
    });
    this.info = { id: identity.id, name, address: `127.0.0.1:${this.pool.address.port}` };
  }

  /** Binds a pool for a fresh identity (or `options.identity`). */
  static async start(name: string, options: LinkEndOptions = {}): Promise<LinkEnd> {
    return new LinkEnd(name, options.identity ?? await Identity.generate(), options);
  }

  /** The chat messages received so far, in order. */
  chats(): Extract<LinkPayload, { type: "chat" }>[] {
    return this.received.flatMap(({ message }) => message.type === "chat" ? [message] : []);
  }

  /** The IDs of received messages of `type`, in order. */
  idsOf(type: "chat" | "ack" | "receipt" | "receipt_ack"): string[] {
    return this.received.flatMap(({ message }) =>
      message.type === type && "id" in message ? [message.id] : []
    );
  }

  /** Wakes {@linkcode waitFor}: for state this end does not record itself. */
  changed(): void {
    this.#changes.notify();
  }

  /**
   * Waits until `test` returns a value (not undefined or false), re-checking
   * on every report and every 50 ms (for what changes without a report, such
   * as the store).
   */
  async waitFor<T>(
    test: () => T | undefined | false | Promise<T | undefined | false>,
    what: string,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = await test();
      if (found !== undefined && found !== false) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${this.info.name}: timed out after ${timeoutMs} ms waiting for ${what}`);
      }
      await waitAtMost(this.#changes.next(), Math.min(left, 50));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.pool.shutdown();
  }
}

/** Options for {@linkcode DeliveryEnd.start}. */
export interface DeliveryEndOptions {
  /** Where the store lives (`<dataDir>/messages.db`); a temporary directory. */
  dataDir: string;
  identity?: Identity;
  /** See `CourierOptions.ackTimeoutMs`. */
  ackTimeoutMs?: number;
  /** Redial timing; short by default so tests do not wait for it. */
  retry?: BackoffOptions;
  /** See `InboxOptions.vouchesFor`. */
  vouchesFor?: (peer: PeerInfo) => boolean;
}

/** One peer's delivery: a link end, a store on disk, Courier, Inbox and Messenger. */
export class DeliveryEnd implements AsyncDisposable {
  readonly end: LinkEnd;
  readonly store: MessageStore;
  readonly directory: PeerDirectory;
  readonly courier: Courier;
  readonly inbox: Inbox;
  readonly messenger: Messenger;
  /** Everything delivery reported, in order. */
  readonly events: DeliveryEvent[] = [];
  #listing = 0;

  private constructor(end: LinkEnd, store: MessageStore, options: DeliveryEndOptions) {
    this.end = end;
    this.store = store;
    this.directory = new PeerDirectory(end.identity.id);
    const emit = (event: DeliveryEvent) => {
      this.events.push(event);
      end.changed();
    };
    this.courier = new Courier({
      links: end.pool,
      directory: this.directory,
      store,
      emit,
      logger: silentLogger,
      ackTimeoutMs: options.ackTimeoutMs,
      retry: options.retry ?? { initialMs: 20, maxMs: 100 },
    });
    this.inbox = new Inbox({
      store,
      courier: this.courier,
      directory: this.directory,
      emit,
      logger: silentLogger,
      vouchesFor: options.vouchesFor,
    });
    this.messenger = new Messenger({
      store,
      courier: this.courier,
      directory: this.directory,
      emit,
    });
    end.handler = {
      message: (link, message) => this.inbox.receive(link, message),
      drained: (link) => this.inbox.drained(link),
      linkOpened: (link) => this.courier.linkOpened(link),
      linkClosed: (link) => this.courier.linkClosed(link),
    };
  }

  /** Opens the store in `options.dataDir`, binds the pool and wires delivery to it. */
  static async start(name: string, options: DeliveryEndOptions): Promise<DeliveryEnd> {
    const store = await MessageStore.open(`${options.dataDir}/${STORE_FILE}`);
    const end = await LinkEnd.start(name, { identity: options.identity });
    return new DeliveryEnd(end, store, options);
  }

  get info(): PeerInfo {
    return this.end.info;
  }

  /**
   * Makes `peers` the online list, as a registry snapshot would, and tells
   * the Courier who (re)appeared — what the engine does on a peer-list change.
   */
  list(...peers: PeerInfo[]): void {
    const changes = this.directory.applySnapshot({
      type: "snapshot",
      epoch: "in-process",
      seq: this.#listing++,
      peers,
      more: false,
    }) ?? [];
    for (const change of changes) {
      if (change.kind !== "left") this.courier.peerAvailable(change.peer.id);
    }
  }

  /** The events of one kind, in order. */
  all<K extends DeliveryEvent["event"]>(kind: K): Extract<DeliveryEvent, { event: K }>[] {
    return this.events.filter((e) => e.event === kind) as Extract<DeliveryEvent, { event: K }>[];
  }

  /** Waits until `test` holds; see {@linkcode LinkEnd.waitFor}. */
  waitFor<T>(
    test: () => T | undefined | false | Promise<T | undefined | false>,
    what: string,
    timeoutMs?: number,
  ): Promise<T> {
    return this.end.waitFor(test, what, timeoutMs);
  }

  /** Closes the links, lets delivery finish, closes the store (as `Peer.shutdown` does). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.end.pool.shutdown();
    await this.inbox.settled();
    await this.courier.close();
    await this.store.close();
  }
}
