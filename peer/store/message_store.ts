/**
 * Where a peer keeps its messages: Deno KV in its data directory (SQLite
 * underneath, transactional, nothing to run). A message is committed here
 * before it is sent, and before an incoming one is acknowledged.
 *
 * Keys (all under the peer's own database):
 *
 * | key | value |
 * | --- | --- |
 * | `["conversation", peerId, messageId, direction]` | {@linkcode StoredMessage}; UUIDv7 IDs sort by time, so a prefix scan is a conversation in order |
 * | `["outbox", peerId, messageId]` | `true` while an outgoing message awaits its `ack` |
 * | `["dedup", peerId, messageId]` | receive time; expires after {@linkcode DEDUP_WINDOW_MS} |
 * | `["incoming", messageId, peerId]` | `true`: finds a received message by ID alone (`read`) |
 * | `["receipts", peerId, messageId]` | `true` while a read receipt awaits its `receipt_ack` |
 * | `["peers", peerId]` | {@linkcode KnownPeer}: the last name and address seen |
 * | `["pins", nameKey]` | {@linkcode Pin}: the peer ID trusted for that name |
 */

import type { PeerInfo } from "../../protocol/mod.ts";

/**
 * Where a message stands. Outgoing: `pending` (stored, not yet on a link),
 * `sent`, `delivered` (the receiver stored it), `read`; `failed` once
 * cancelled. Incoming: `delivered` until the user has seen it, then `read`.
 */
export type MessageStatus = "pending" | "sent" | "failed" | "delivered" | "read";

/** Which way a message went, from this peer's point of view. */
export type Direction = "out" | "in";

/** One message in one conversation. */
export interface StoredMessage {
  id: string;
  /** The other party. */
  peerId: string;
  direction: Direction;
  text: string;
  /** Sender's clock, ms since the Unix epoch. */
  sentAt: number;
  broadcast: boolean;
  status: MessageStatus;
}

/** A peer this peer has seen, remembered across restarts. */
export interface KnownPeer extends PeerInfo {
  lastSeenAt: number;
}

/** The ID this peer trusts for a name: the first one seen, or one the user confirmed. */
export interface Pin {
  name: string;
  id: string;
  pinnedAt: number;
}

/** A store operation failed; the message was not (or not fully) saved. */
export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/** How long a received message ID is remembered for dropping duplicates. */
export const DEDUP_WINDOW_MS = 30 * 24 * 3600 * 1000;

/** File name of the database inside the data directory. */
export const STORE_FILE = "messages.kv";

const PROGRESS: Record<MessageStatus, number> = {
  pending: 0,
  failed: 1,
  sent: 1,
  delivered: 2,
  read: 3,
};

/** True if moving from `from` to `to` is forward. */
export function isProgress(from: MessageStatus, to: MessageStatus): boolean {
  if (from === "failed") return false; // cancelled stays cancelled
  return PROGRESS[to] > PROGRESS[from] || (from === "pending" && to === "failed");
}

// Deno KV allows 1000 mutations and 100 checks per atomic commit; an incoming
// message takes 3 mutations (conversation, index, dedup) and 1 check.
const MESSAGES_PER_COMMIT = 250;
const CHECKS_PER_COMMIT = 100;

/** Persistent messages, outbox, dedup window, receipts and known peers. */
export class MessageStore {
  readonly path: string;
  readonly #kv: Deno.Kv;
  // One operation at a time: every read-modify-write sees the previous one's result.
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #outgoing: StoredMessage[] = [];
  #outgoingCommit: Promise<void> | undefined;

  private constructor(kv: Deno.Kv, path: string) {
    this.#kv = kv;
    this.path = path;
  }

  /** Opens (creating if needed) the store at `path`; `":memory:"` keeps nothing. */
  static async open(path: string): Promise<MessageStore> {
    try {
      const kv = await Deno.openKv(path);
      if (path !== ":memory:") await ownerOnly(path);
      return new MessageStore(kv, path);
    } catch (error) {
      throw new StoreError(`Cannot open the message store ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  // ---- outgoing ----------------------------------------------------------------

  /**
   * Stores new outgoing messages (status `pending`) and queues them for
   * delivery. Calls made in the same turn share one transaction (group
   * commit); each resolves once its messages are durable.
   */
  saveOutgoing(messages: StoredMessage[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new StoreError("Cannot save messages: the store is closed"));
    }
    this.#outgoing.push(...messages);
    this.#outgoingCommit ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
      const batch = this.#outgoing;
      this.#outgoing = [];
      this.#outgoingCommit = undefined;
      return this.#run("save outgoing messages", async () => {
        for (const part of chunks(batch, MESSAGES_PER_COMMIT)) {
          const op = this.#kv.atomic();
          for (const m of part) op.set(conversationKey(m), m).set(["outbox", m.peerId, m.id], true);
          await commit(op);
        }
      });
    });
    return this.#outgoingCommit;
  }

  /**
   * Records outgoing messages as delivered, from values the caller holds
   * (no read): they leave the outbox. A message already marked read stays read.
   */
  markDelivered(messages: StoredMessage[]): Promise<void> {
    return this.#run("record deliveries", async () => {
      for (const part of chunks(messages, MESSAGES_PER_COMMIT)) {
        const op = this.#kv.atomic();
        for (const m of part) {
          op.set(conversationKey(m), { ...m, status: m.status === "read" ? "read" : "delivered" })
            .delete(["outbox", m.peerId, m.id]);
        }
        await commit(op);
      }
    });
  }

  /** Outgoing messages still awaiting delivery, oldest first per peer. */
  outbox(peerId?: string): Promise<StoredMessage[]> {
    return this.#run("read the outbox", async () => {
      const prefix = peerId === undefined ? ["outbox"] : ["outbox", peerId];
      const messages: StoredMessage[] = [];
      for await (const entry of this.#kv.list({ prefix })) {
        const [, peer, id] = entry.key as [string, string, string];
        const stored = await this.#kv.get<StoredMessage>(["conversation", peer, id, "out"]);
        if (stored.value) messages.push(stored.value);
      }
      return messages;
    });
  }

  /**
   * Moves outgoing messages forward (`sent`, `delivered`, `read`). Once
   * delivered, a message leaves the outbox. Returns the messages that changed.
   */
  advanceOutgoing(peerId: string, ids: string[], status: MessageStatus): Promise<StoredMessage[]> {
    return this.#advance(peerId, "out", ids, status, (op, m) => {
      if (PROGRESS[status] >= PROGRESS.delivered) op.delete(["outbox", peerId, m.id]);
    });
  }

  /** Withdraws a message that was not delivered yet. Returns it, now `failed`. */
  async cancel(peerId: string, id: string): Promise<StoredMessage | undefined> {
    const [changed] = await this.#advance(peerId, "out", [id], "failed", (op) => {
      op.delete(["outbox", peerId, id]);
    }, (m) => m.status === "pending" || m.status === "sent");
    return changed;
  }

  // ---- incoming ----------------------------------------------------------------

  /**
   * Stores incoming messages, dropping any whose ID was seen from that peer
   * within the dedup window. Returns, per message, whether it was new.
   */
  saveIncoming(messages: StoredMessage[]): Promise<boolean[]> {
    return this.#run("save incoming messages", async () => {
      const isNew: boolean[] = [];
      const seenInBatch = new Set<string>();
      for (const m of messages) {
        const key = `${m.peerId}/${m.id}`;
        isNew.push(!seenInBatch.has(key));
        seenInBatch.add(key);
      }
      const candidates = messages.filter((_, i) => isNew[i]);
      // Usually nothing is a duplicate: commit with a "not seen yet" check per
      // message (no reads). Only when a check fails are the keys read one by
      // one to find the duplicates.
      for (const part of chunks(candidates, CHECKS_PER_COMMIT)) {
        if (await this.#commitIncoming(part, true)) continue;
        const fresh: StoredMessage[] = [];
        for (const m of part) {
          if ((await this.#kv.get(["dedup", m.peerId, m.id])).versionstamp === null) fresh.push(m);
          else isNew[messages.indexOf(m)] = false;
        }
        if (fresh.length > 0) await this.#commitIncoming(fresh, false);
      }
      return isNew;
    });
  }

  /** Commits incoming messages; with `checked`, fails (false) if any was seen before. */
  async #commitIncoming(messages: StoredMessage[], checked: boolean): Promise<boolean> {
    const op = this.#kv.atomic();
    const now = Date.now();
    for (const m of messages) {
      if (checked) op.check({ key: ["dedup", m.peerId, m.id], versionstamp: null });
      op.set(conversationKey(m), m)
        .set(["incoming", m.id, m.peerId], true)
        .set(["dedup", m.peerId, m.id], now, { expireIn: DEDUP_WINDOW_MS });
    }
    const result = await op.commit();
    if (!result.ok && !checked) throw new StoreError("A store transaction was refused");
    return result.ok;
  }

  /**
   * Marks a received message read and queues a receipt for its sender.
   * Returns the messages that changed (none if already read or unknown).
   */
  async markRead(peerId: string, ids: string[]): Promise<StoredMessage[]> {
    return await this.#advance(peerId, "in", ids, "read", (op, m) => {
      op.set(["receipts", peerId, m.id], true);
    });
  }

  /** Incoming messages with this ID (normally one sender). */
  findIncoming(id: string): Promise<StoredMessage[]> {
    return this.#run("look up a message", async () => {
      const found: StoredMessage[] = [];
      for await (const entry of this.#kv.list<boolean>({ prefix: ["incoming", id] })) {
        const stored = await this.#kv.get<StoredMessage>([
          "conversation",
          entry.key[2] as string,
          id,
          "in",
        ]);
        if (stored.value) found.push(stored.value);
      }
      return found;
    });
  }

  /** Read receipts not yet acknowledged by their senders. */
  pendingReceipts(peerId: string): Promise<string[]> {
    return this.#run("read pending receipts", async () => {
      const ids: string[] = [];
      for await (const entry of this.#kv.list({ prefix: ["receipts", peerId] })) {
        ids.push(entry.key[2] as string);
      }
      return ids;
    });
  }

  /** Peers with receipts waiting. */
  peersWithPendingReceipts(): Promise<string[]> {
    return this.#run("read pending receipts", async () => {
      const peers = new Set<string>();
      for await (const entry of this.#kv.list({ prefix: ["receipts"] })) {
        peers.add(entry.key[1] as string);
      }
      return [...peers];
    });
  }

  receiptsAcknowledged(peerId: string, ids: string[]): Promise<void> {
    return this.#run("settle receipts", async () => {
      for (const batch of chunks(ids, 900)) {
        const op = this.#kv.atomic();
        for (const id of batch) op.delete(["receipts", peerId, id]);
        await commit(op);
      }
    });
  }

  // ---- history and peers ---------------------------------------------------------

  /**
   * The newest `limit` messages with `peerId`, oldest first; with `before`,
   * the newest ones older than that message ID (for scrolling back).
   */
  conversation(peerId: string, limit: number, before?: string): Promise<StoredMessage[]> {
    return this.#run("read history", async () => {
      const newestFirst: StoredMessage[] = [];
      const prefix = ["conversation", peerId];
      const selector = before === undefined ? { prefix } : { prefix, end: [...prefix, before] };
      const entries = this.#kv.list<StoredMessage>(selector, { reverse: true, limit });
      for await (const entry of entries) newestFirst.push(entry.value);
      return newestFirst.reverse();
    });
  }

  /** Remembers a peer's current name and address. */
  rememberPeers(peers: PeerInfo[]): Promise<void> {
    return this.#run("remember peers", async () => {
      const now = Date.now();
      for (const batch of chunks(peers, 900)) {
        const op = this.#kv.atomic();
        for (const p of batch) {
          op.set(["peers", p.id], { id: p.id, name: p.name, address: p.address, lastSeenAt: now });
        }
        await commit(op);
      }
    });
  }

  /** Every peer seen so far. */
  knownPeers(): Promise<KnownPeer[]> {
    return this.#run("read known peers", async () => {
      const peers: KnownPeer[] = [];
      for await (const entry of this.#kv.list<KnownPeer>({ prefix: ["peers"] })) {
        peers.push(entry.value);
      }
      return peers;
    });
  }

  /** Every name pin, keyed by the name's comparison key. */
  pins(): Promise<Map<string, Pin>> {
    return this.#run("read pinned keys", async () => {
      const pins = new Map<string, Pin>();
      for await (const entry of this.#kv.list<Pin>({ prefix: ["pins"] })) {
        pins.set(entry.key[1] as string, entry.value);
      }
      return pins;
    });
  }

  /** Records that `pin.id` is trusted for the name with comparison key `key`. */
  savePin(key: string, pin: Pin): Promise<void> {
    return this.#run("pin a key", async () => {
      await this.#kv.set(["pins", key], pin);
    });
  }

  /** Waits for pending operations, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail.catch(() => {});
    this.#kv.close();
  }

  #advance(
    peerId: string,
    direction: Direction,
    ids: string[],
    status: MessageStatus,
    extra: (op: Deno.AtomicOperation, message: StoredMessage) => void,
    allowed: (message: StoredMessage) => boolean = (m) => isProgress(m.status, status),
  ): Promise<StoredMessage[]> {
    return this.#run(`mark messages ${status}`, async () => {
      const changed: StoredMessage[] = [];
      for (const id of ids) {
        const stored = await this.#kv.get<StoredMessage>(["conversation", peerId, id, direction]);
        if (stored.value && allowed(stored.value)) changed.push({ ...stored.value, status });
      }
      for (const batch of chunks(changed, MESSAGES_PER_COMMIT)) {
        const op = this.#kv.atomic();
        for (const m of batch) {
          op.set(conversationKey(m), m);
          extra(op, m);
        }
        await commit(op);
      }
      return changed;
    });
  }

  /** Runs `task` after every earlier one; wraps failures in {@linkcode StoreError}. */
  #run<T>(what: string, task: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new StoreError(`Cannot ${what}: the message store is closed`));
    }
    const result = this.#tail.then(task, task).catch((error) => {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`Cannot ${what} in ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    });
    this.#tail = result.catch(() => {});
    return result;
  }
}

/** Restricts the database files (SQLite's WAL and shared-memory files too) to their owner. */
async function ownerOnly(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      await Deno.chmod(file, 0o600);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

function conversationKey(m: StoredMessage): Deno.KvKey {
  return ["conversation", m.peerId, m.id, m.direction];
}

async function commit(op: Deno.AtomicOperation): Promise<void> {
  const result = await op.commit();
  if (!result.ok) throw new StoreError("A store transaction was refused");
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
