/**
 * Where a peer keeps its messages: one SQLite database in its data directory
 * (`messages.db`, WAL, every commit fsynced), served by a worker thread so
 * the peer's own thread never waits on the disk. A message is committed here
 * before it is sent, and before an incoming one is acknowledged. Calls that
 * arrive while a commit is on its way to the disk share the next one (group
 * commit); each call resolves after its own commit. Tables: `store_schema.ts`.
 */

import type { PeerInfo } from "../../protocol/mod.ts";
import { importLegacyKv, type KvImport } from "./kv_import.ts";
import { BATCH_ROWS, SqliteConnection, type SqlTask } from "./sqlite_connection.ts";
import type { SqlRow, SqlValue, StepResult } from "./sqlite_thread.ts";
import * as sql from "./store_schema.ts";
import {
  type Direction,
  type KnownPeer,
  type MessageStatus,
  type Pin,
  type StoredMessage,
  type StoredRoom,
  StoreError,
} from "./stored_message.ts";

/** File name of the database inside the data directory. */
export const STORE_FILE = "messages.db";

/** Options for {@linkcode MessageStore.open}. */
export interface MessageStoreOptions {
  /**
   * A Deno KV store of an earlier version (`messages.kv`). If it exists, its
   * contents are imported on open and the file is renamed to `<path>.bak`.
   */
  legacyKv?: string;
}

/** Persistent messages, outbox, receipts, known peers and pins. */
export class MessageStore {
  readonly path: string;
  /** What was imported from an earlier version's Deno KV store on open, if anything. */
  readonly upgrade: KvImport | undefined;
  readonly #db: SqliteConnection;
  /** The outgoing messages' task while it still takes more (see {@linkcode saveOutgoing}). */
  #outgoing: { params: SqlValue[]; done: Promise<void> } | undefined;
  #closed = false;

  private constructor(db: SqliteConnection, path: string, upgrade: KvImport | undefined) {
    this.#db = db;
    this.path = path;
    this.upgrade = upgrade;
  }

  /** Opens (creating if needed) the store at `path`; `":memory:"` keeps nothing. */
  static async open(path: string, options: MessageStoreOptions = {}): Promise<MessageStore> {
    let db: SqliteConnection | undefined;
    try {
      db = await SqliteConnection.open(path);
      await db.exec(sql.CONNECTION_SETUP);
      const [[found]] = await db.run([step(sql.READ_SCHEMA_VERSION)]) as SqlRow[][];
      const version = Number(found.user_version);
      if (version > sql.SCHEMA_VERSION) {
        throw new Error(
          `it has schema version ${version}, newer than this p2pchat's ${sql.SCHEMA_VERSION}`,
        );
      }
      await db.exec(sql.SCHEMA);
      const upgrade = options.legacyKv === undefined
        ? undefined
        : await importLegacyKv(db, options.legacyKv);
      if (path !== ":memory:") await ownerOnly(path);
      return new MessageStore(db, path, upgrade);
    } catch (error) {
      await db?.close().catch(() => {});
      throw new StoreError(`Cannot open the message store ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  // ---- outgoing ----------------------------------------------------------------

  /**
   * Stores new outgoing messages (status `pending`). Calls made in the same
   * turn share one task, up to a batch's worth of rows (so a burst of sends
   * is stored, and sent, in slices); each resolves once its messages are durable.
   */
  saveOutgoing(messages: StoredMessage[]): Promise<void> {
    const open = this.#outgoing;
    if (
      open && open.params.length + messages.length * MESSAGE_WIDTH <= BATCH_ROWS * MESSAGE_WIDTH
    ) {
      pushMessages(open.params, messages);
      return open.done;
    }
    const outgoing = { params: pushMessages([], messages), done: Promise.resolve() };
    // One statement for all of them: a burst of sends is one task, not one per send.
    outgoing.done = this.#run("save outgoing messages", [
      step(sql.SAVE_OUTGOING, MESSAGE_WIDTH, outgoing.params, "changes"),
    ]).then(() => {});
    this.#outgoing = outgoing;
    queueMicrotask(() => {
      if (this.#outgoing === outgoing) this.#outgoing = undefined;
    });
    return outgoing.done;
  }

  /**
   * Records acknowledged outgoing messages as delivered: they leave the
   * outbox. A message already marked read (or cancelled) keeps its status.
   * The record rides the next commit (waiting at most a few tens of ms for
   * one): the delivery itself is already on the recipient's disk, and should
   * the record be lost, the message is sent again and the recipient drops
   * the copy. Anything asked of the store afterwards sees it.
   */
  async markDelivered(messages: StoredMessage[]): Promise<void> {
    await this.#run("record deliveries", [
      step(sql.MARK_DELIVERED, 2, messageKeys(messages), "changes"),
    ], { soon: true });
  }

  /** Outgoing messages still awaiting delivery, oldest first per peer. */
  async outbox(peerId?: string): Promise<StoredMessage[]> {
    const [rows] = await this.#run(
      "read the outbox",
      [peerId === undefined ? step(sql.OUTBOX) : step(sql.OUTBOX_OF_PEER, 1, [peerId])],
    );
    return rows.map(toMessage);
  }

  /**
   * Moves outgoing messages forward (`sent`, `delivered`, `read`). Once
   * delivered, a message leaves the outbox. Returns the messages that changed.
   */
  async advanceOutgoing(
    peerId: string,
    ids: string[],
    status: MessageStatus,
  ): Promise<StoredMessage[]> {
    const [rows] = await this.#run(`mark messages ${status}`, [
      step(sql.advanceStatus("out", status), 2, keys(peerId, ids)),
    ]);
    return rows.map(toMessage);
  }

  /** Withdraws a message that was not delivered yet. Returns it, now `failed`. */
  async cancel(peerId: string, id: string): Promise<StoredMessage | undefined> {
    const [rows] = await this.#run("cancel a message", [step(sql.CANCEL, 2, [peerId, id])]);
    return rows.map(toMessage)[0];
  }

  // ---- incoming ----------------------------------------------------------------

  /**
   * Stores incoming messages, dropping any whose ID this peer already holds
   * from that sender. Returns, per message, whether it was new.
   */
  async saveIncoming(messages: StoredMessage[]): Promise<boolean[]> {
    const inRooms = messages.filter((m) => m.roomId !== undefined);
    const [changes] = await this.#run<number[][]>("save incoming messages", [
      step(sql.SAVE_INCOMING, MESSAGE_WIDTH, pushMessages([], messages), "changes"),
      ...(inRooms.length === 0 ? [] : [step(sql.FILE_IN_ROOM, 4, roomRows(inRooms), "changes")]),
    ]);
    return changes.map((changed) => changed === 1);
  }

  /**
   * Marks a received message read and queues a receipt for its sender.
   * Returns the messages that changed (none if already read or unknown).
   */
  async markRead(peerId: string, ids: string[]): Promise<StoredMessage[]> {
    const params = keys(peerId, ids);
    const [, rows] = await this.#run("mark messages read", [
      step(sql.QUEUE_RECEIPT, 2, params, "changes"),
      step(sql.advanceStatus("in", "read"), 2, params),
    ]);
    return rows.map(toMessage);
  }

  /** Incoming messages with this ID (normally one sender). */
  async findIncoming(id: string): Promise<StoredMessage[]> {
    const [rows] = await this.#run("look up a message", [step(sql.FIND_INCOMING, 1, [id])]);
    return rows.map(toMessage);
  }

  /**
   * How much this peer stores from `peerId` (see `storedBytes`): what a
   * per-sender cap starts counting from. One scan of that sender's messages.
   */
  async storedBytesFrom(peerId: string): Promise<number> {
    const [[row]] = await this.#run("count stored bytes", [
      step(sql.STORED_BYTES_FROM, 1, [peerId]),
    ]);
    return Number(row.bytes);
  }

  /** Which of `ids` this peer already holds from `peerId`. */
  async heldFrom(peerId: string, ids: string[]): Promise<Set<string>> {
    const [rows] = await this.#run("look up messages", [step(sql.HELD_FROM, 2, keys(peerId, ids))]);
    return new Set(rows.map((row) => String(row.id)));
  }

  /** Read receipts not yet acknowledged by their senders. */
  async pendingReceipts(peerId: string): Promise<string[]> {
    const [rows] = await this.#run("read pending receipts", [
      step(sql.PENDING_RECEIPTS, 1, [peerId]),
    ]);
    return rows.map((row) => String(row.id));
  }

  /** Peers with receipts waiting. */
  async peersWithPendingReceipts(): Promise<string[]> {
    const [rows] = await this.#run("read pending receipts", [step(sql.PEERS_WITH_RECEIPTS)]);
    return rows.map((row) => String(row.peerId));
  }

  /** The sender recorded these read receipts: they are no longer owed. */
  async receiptsAcknowledged(peerId: string, ids: string[]): Promise<void> {
    await this.#run("settle receipts", [
      step(sql.SETTLE_RECEIPT, 2, keys(peerId, ids), "changes"),
    ]);
  }

  // ---- history and peers ---------------------------------------------------------

  /**
   * The newest `limit` messages with `peerId`, oldest first; with `before`,
   * the newest ones older than that message ID (for scrolling back).
   */
  async conversation(peerId: string, limit: number, before?: string): Promise<StoredMessage[]> {
    const [rows] = await this.#run("read history", [
      before === undefined
        ? step(sql.CONVERSATION, 2, [peerId, limit])
        : step(sql.CONVERSATION_BEFORE, 3, [peerId, before, limit]),
    ]);
    return rows.map(toMessage).reverse();
  }

  /** Remembers peers' current names and addresses. */
  async rememberPeers(peers: PeerInfo[]): Promise<void> {
    const now = Date.now();
    await this.#run("remember peers", [
      step(sql.REMEMBER_PEER, 4, peers.flatMap((p) => [p.id, p.name, p.address, now]), "changes"),
    ]);
  }

  /** Every peer seen so far. */
  async knownPeers(): Promise<KnownPeer[]> {
    const [rows] = await this.#run("read known peers", [step(sql.KNOWN_PEERS)]);
    return rows.map((row) => ({
      id: String(row.id),
      name: String(row.name),
      address: String(row.address),
      lastSeenAt: Number(row.lastSeenAt),
    }));
  }

  /** Every name pin, keyed by the name's comparison key. */
  async pins(): Promise<Map<string, Pin>> {
    const [rows] = await this.#run("read pinned keys", [step(sql.PINS)]);
    return new Map(rows.map((row) => [String(row.key), {
      name: String(row.name),
      id: String(row.id),
      pinnedAt: Number(row.pinnedAt),
    }]));
  }

  /** Records that `pin.id` is trusted for the name with comparison key `key`. */
  async savePin(key: string, pin: Pin): Promise<void> {
    await this.#run("pin a key", [
      step(sql.SAVE_PIN, 4, [key, pin.name, pin.id, pin.pinnedAt], "changes"),
    ]);
  }

  // ---- rooms -------------------------------------------------------------------

  /**
   * Stores what this peer posts in a room — one outgoing message per member,
   * each with `roomId` — and files them under the room, in one commit.
   */
  async saveRoomOutgoing(messages: StoredMessage[]): Promise<void> {
    await this.#run("save a room message", [
      step(sql.SAVE_OUTGOING, MESSAGE_WIDTH, pushMessages([], messages), "changes"),
      step(sql.FILE_IN_ROOM, 4, roomRows(messages), "changes"),
    ]);
  }

  /** Saves a room's membership and this peer's record of it. */
  async saveRoom(room: StoredRoom): Promise<void> {
    await this.#run("save a room", [
      step(sql.SAVE_ROOM, 3, [room.id, room.membership, room.local], "changes"),
    ]);
  }

  /** Every room this peer knows. */
  async rooms(): Promise<StoredRoom[]> {
    const [rows] = await this.#run("read rooms", [step(sql.ROOMS)]);
    return rows.map((row) => ({
      id: String(row.id),
      membership: String(row.membership),
      local: String(row.local),
    }));
  }

  /**
   * A room's newest `limit` messages (with `before`, those older than that
   * message ID), oldest first, each once (what this peer posted, as the
   * member it has reached least far has it).
   */
  async roomHistory(roomId: string, limit: number, before?: string): Promise<StoredMessage[]> {
    const [rows] = await this.#run("read a room's history", [
      before === undefined
        ? step(sql.ROOM_HISTORY, 2, [roomId, limit])
        : step(sql.ROOM_HISTORY_BEFORE, 3, [roomId, before, limit]),
    ]);
    return rows.map((row) => ({ ...toMessage(row), roomId })).reverse();
  }

  /** Received room messages not read yet, by room ID (rooms with none are left out). */
  async roomUnread(): Promise<Map<string, number>> {
    const [rows] = await this.#run("count unread room messages", [step(sql.ROOM_UNREAD)]);
    return new Map(rows.map((row) => [String(row.roomId), Number(row.unread)]));
  }

  /** The room of each undelivered message posted in one, by message ID. */
  async roomsOfOutbox(): Promise<Map<string, string>> {
    const [rows] = await this.#run("read the rooms of the outbox", [step(sql.ROOMS_OF_OUTBOX)]);
    return new Map(rows.map((row) => [String(row.id), String(row.roomId)]));
  }

  /** Waits for pending operations, then closes the database. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#db.close();
  }

  /** Runs `task` in the next group commit; failures become {@linkcode StoreError}s. */
  async #run<T extends StepResult[] = SqlRow[][]>(
    what: string,
    task: SqlTask,
    options: { soon?: boolean } = {},
  ): Promise<T> {
    if (this.#closed) throw new StoreError(`Cannot ${what}: the message store is closed`);
    try {
      return await (options.soon ? this.#db.runSoon(task) : this.#db.run(task)) as T;
    } catch (error) {
      throw new StoreError(`Cannot ${what} in ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** `statement`, run once per `width` of `params` (once, bare, without them). */
function step(
  statement: string,
  width = 0,
  params: SqlValue[] = [],
  returns: "rows" | "changes" = "rows",
): SqlTask[number] {
  return { sql: statement, width, params, returns };
}

/** Parameters per message of `SAVE_OUTGOING` / `SAVE_INCOMING`. */
const MESSAGE_WIDTH = 7;

/** Appends each message's parameters (see `MESSAGE_COLUMNS` in the schema) to `params`. */
function pushMessages(params: SqlValue[], messages: StoredMessage[]): SqlValue[] {
  for (const m of messages) {
    params.push(m.peerId, m.id, m.direction, m.text, m.sentAt, m.broadcast ? 1 : 0, m.status);
  }
  return params;
}

/** `FILE_IN_ROOM` parameters of messages that have a `roomId`. */
function roomRows(messages: StoredMessage[]): SqlValue[] {
  return messages.flatMap((m) => [m.roomId!, m.id, m.peerId, m.direction]);
}

/** `(peerId, id)` parameters for each of `ids` (one flat array: no array per message). */
function keys(peerId: string, ids: string[]): SqlValue[] {
  const params: SqlValue[] = [];
  for (const id of ids) params.push(peerId, id);
  return params;
}

/** `(peerId, id)` parameters for each of `messages`. */
function messageKeys(messages: StoredMessage[]): SqlValue[] {
  const params: SqlValue[] = [];
  for (const m of messages) params.push(m.peerId, m.id);
  return params;
}

const UTF8 = new TextDecoder();

function toMessage(row: SqlRow): StoredMessage {
  return {
    id: String(row.id),
    peerId: String(row.peerId),
    direction: row.direction as Direction,
    text: row.text instanceof Uint8Array ? UTF8.decode(row.text) : String(row.text),
    sentAt: Number(row.sentAt),
    broadcast: row.broadcast === 1,
    status: row.status as MessageStatus,
  };
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
