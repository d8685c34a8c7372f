/**
 * The message store's SQL: connection settings, the schema, and every
 * statement the store runs. docs/PROTOCOL.md ("Store layout") describes the
 * same tables for people; change both together.
 */

import { type MessageStatus, ROW_BYTES, statusesBefore } from "./stored_message.ts";

/** Bumped when the schema changes; a newer file is refused rather than misread. */
export const SCHEMA_VERSION = 1;

/**
 * WAL with `synchronous = FULL`: every COMMIT is fsynced before it returns,
 * so what was acknowledged survives a power cut (NORMAL would be faster and
 * could lose the last commits). `busy_timeout` only matters to a second
 * reader such as the sqlite3 shell; the data dir lock keeps writers out.
 */
export const CONNECTION_SETUP = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA busy_timeout = 5000;
`;

/**
 * One table of messages, clustered by conversation: the primary key
 * (peer_id, id, direction) keeps each conversation together and in order,
 * because UUIDv7 IDs sort by time. The outbox and the lookup by ID are
 * partial indexes over it, so a message is one row and its status decides
 * where it shows up: nothing to keep in sync. A received (sender, ID) is
 * never stored twice — the primary key is the dedup record.
 *
 * STRICT checks the column types; the allowed values are the TypeScript
 * types of `StoredMessage`, the only writer. (CHECK constraints listing them
 * halved the insert rate when measured: 60k against 130k rows/s.)
 */
export const SCHEMA = `
BEGIN;
CREATE TABLE IF NOT EXISTS messages (
  peer_id   TEXT    NOT NULL,
  id        TEXT    NOT NULL,
  direction TEXT    NOT NULL, -- 'out' | 'in'
  text      TEXT    NOT NULL,
  sent_at   INTEGER NOT NULL,
  broadcast INTEGER NOT NULL, -- 0 | 1
  status    TEXT    NOT NULL, -- 'pending' | 'sent' | 'failed' | 'delivered' | 'read'
  PRIMARY KEY (peer_id, id, direction)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox ON messages (peer_id, id)
  WHERE direction = 'out' AND status IN ('pending', 'sent');
CREATE INDEX IF NOT EXISTS incoming ON messages (id) WHERE direction = 'in';
CREATE TABLE IF NOT EXISTS receipts (
  peer_id TEXT NOT NULL,
  id      TEXT NOT NULL,
  PRIMARY KEY (peer_id, id)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS peers (
  id           TEXT    PRIMARY KEY,
  name         TEXT    NOT NULL,
  address      TEXT    NOT NULL,
  last_seen_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pins (
  name_key  TEXT    PRIMARY KEY,
  name      TEXT    NOT NULL,
  id        TEXT    NOT NULL,
  pinned_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
  id         TEXT PRIMARY KEY,
  membership TEXT NOT NULL, -- the creator's signed membership, JSON (protocol/room_messages.ts)
  local      TEXT NOT NULL  -- this peer's own record of the room, JSON (peer/rooms/room_book.ts)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_messages (
  room_id   TEXT NOT NULL,
  id        TEXT NOT NULL,
  peer_id   TEXT NOT NULL,
  direction TEXT NOT NULL,
  PRIMARY KEY (room_id, id, direction, peer_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS room_of_message ON room_messages (peer_id, id, direction);
PRAGMA user_version = ${SCHEMA_VERSION};
COMMIT;
`;

export const READ_SCHEMA_VERSION = "PRAGMA user_version";

/** A message's text as the bytes it was stored as (see `MESSAGE_FIELDS`). */
const TEXT_BYTES = "CAST(text AS BLOB)";

/** Columns of a message, in the order {@linkcode messageRow} fills them. */
const MESSAGE_COLUMNS = "peer_id, id, direction, text, sent_at, broadcast, status";
/**
 * The same, named as `StoredMessage` fields (for rows coming back). The text
 * comes back as its bytes: node:sqlite reads a TEXT value only up to its
 * first NUL, and a stored file offer starts with one (chat may carry one too).
 */
const MESSAGE_FIELDS = `peer_id AS peerId, id, direction, ${TEXT_BYTES} AS text, ` +
  "sent_at AS sentAt, broadcast, status";

/** A new message, or a fresh copy of one (outgoing messages are ours to overwrite). */
export const SAVE_OUTGOING = `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO UPDATE SET text = excluded.text, sent_at = excluded.sent_at,
  broadcast = excluded.broadcast, status = excluded.status`;

/** An incoming message unless it is already there (then 0 rows change: a duplicate). */
export const SAVE_INCOMING = `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;

/** An imported message; what the new store already holds wins. */
export const IMPORT_MESSAGE = SAVE_INCOMING;

/** Acknowledged: out of the outbox. Never moves a read or cancelled message back. */
export const MARK_DELIVERED = `UPDATE messages SET status = 'delivered'
  WHERE peer_id = ? AND id = ? AND direction = 'out' AND status IN ('pending', 'sent')`;

/** Sets `status` where that is progress (see `isProgress`); returns the changed message. */
export function advanceStatus(direction: "in" | "out", status: MessageStatus): string {
  return advance(direction, status, statusesBefore(status));
}

/** Cancels a message nobody has acknowledged yet. */
export const CANCEL = advance("out", "failed", ["pending", "sent"]);

function advance(direction: "in" | "out", to: MessageStatus, from: MessageStatus[]): string {
  // The statuses are our own constants, never input, so they are spelled out.
  const allowed = from.map((s) => `'${s}'`).join(", ");
  return `UPDATE messages SET status = '${to}'
    WHERE peer_id = ? AND id = ? AND direction = '${direction}' AND status IN (${allowed})
    RETURNING ${MESSAGE_FIELDS}`;
}

/** Queues a read receipt for a received message the user has not read before. */
export const QUEUE_RECEIPT = `INSERT OR IGNORE INTO receipts (peer_id, id)
  SELECT peer_id, id FROM messages
  WHERE peer_id = ? AND id = ? AND direction = 'in' AND status <> 'read'`;

export const IMPORT_RECEIPT = "INSERT OR IGNORE INTO receipts (peer_id, id) VALUES (?, ?)";

export const OUTBOX = `SELECT ${MESSAGE_FIELDS} FROM messages
  WHERE direction = 'out' AND status IN ('pending', 'sent') ORDER BY peer_id, id`;

export const OUTBOX_OF_PEER = `SELECT ${MESSAGE_FIELDS} FROM messages
  WHERE peer_id = ? AND direction = 'out' AND status IN ('pending', 'sent') ORDER BY id`;

export const FIND_INCOMING = `SELECT ${MESSAGE_FIELDS} FROM messages
  WHERE id = ? AND direction = 'in' ORDER BY peer_id`;

/**
 * What this peer stores from one sender, counted as `storedBytes` counts it:
 * UTF-8 bytes of the text plus a row's worth each. A range of the primary key.
 */
export const STORED_BYTES_FROM = `SELECT
  COALESCE(SUM(length(CAST(text AS BLOB))), 0) + ${ROW_BYTES} * COUNT(*) AS bytes
  FROM messages WHERE peer_id = ? AND direction = 'in'`;

/** A received message's ID if this peer holds it (one run per ID). */
export const HELD_FROM =
  `SELECT id FROM messages WHERE peer_id = ? AND id = ? AND direction = 'in'`;

export const PENDING_RECEIPTS = "SELECT id FROM receipts WHERE peer_id = ? ORDER BY id";

export const PEERS_WITH_RECEIPTS = "SELECT DISTINCT peer_id AS peerId FROM receipts";

export const SETTLE_RECEIPT = "DELETE FROM receipts WHERE peer_id = ? AND id = ?";

/** Not a room's message (those are a room's history, not the conversation with one peer). */
const NOT_IN_A_ROOM = `NOT EXISTS (SELECT 1 FROM room_messages r
  WHERE r.peer_id = messages.peer_id AND r.id = messages.id AND r.direction = messages.direction)`;

/** The newest messages of a conversation, newest first. */
export const CONVERSATION = `SELECT ${MESSAGE_FIELDS} FROM messages
  WHERE peer_id = ? AND ${NOT_IN_A_ROOM} ORDER BY id DESC, direction DESC LIMIT ?`;

/** The same, older than a given message ID (scrolling back). */
export const CONVERSATION_BEFORE = `SELECT ${MESSAGE_FIELDS} FROM messages
  WHERE peer_id = ? AND id < ? AND ${NOT_IN_A_ROOM} ORDER BY id DESC, direction DESC LIMIT ?`;

// ---- rooms ---------------------------------------------------------------------

export const SAVE_ROOM = `INSERT INTO rooms (id, membership, local) VALUES (?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET membership = excluded.membership, local = excluded.local`;

export const ROOMS = "SELECT id, membership, local FROM rooms";

/** Files a stored message (one row per member for what this peer posts) under its room. */
export const FILE_IN_ROOM = `INSERT OR IGNORE INTO room_messages (room_id, id, peer_id, direction)
  VALUES (?, ?, ?, ?)`;

const IN_ROOM_JOIN = `JOIN messages m
  ON m.peer_id = r.peer_id AND m.id = r.id AND m.direction = r.direction`;

/**
 * A room's newest messages, newest first, each once: a message this peer
 * posted is stored once per member, and shows here as the copy of the member
 * it has reached least far (so ✓ means everyone has it).
 */
export const ROOM_HISTORY = roomHistory("");

/** The same, older than a given message ID (scrolling back). */
export const ROOM_HISTORY_BEFORE = roomHistory("AND r.id < ?");

function roomHistory(older: string): string {
  return `SELECT m.peer_id AS peerId, m.id, m.direction, CAST(m.text AS BLOB) AS text,
  m.sent_at AS sentAt, m.broadcast, m.status, MIN(CASE m.status WHEN 'pending' THEN 0
  WHEN 'sent' THEN 1 WHEN 'failed' THEN 1 WHEN 'delivered' THEN 2 ELSE 3 END) AS progress
  FROM room_messages r ${IN_ROOM_JOIN}
  WHERE r.room_id = ? ${older} GROUP BY r.id, r.direction ORDER BY r.id DESC, r.direction DESC LIMIT ?`;
}

/** Received room messages not read yet, per room. */
export const ROOM_UNREAD = `SELECT r.room_id AS roomId, COUNT(*) AS unread
  FROM room_messages r ${IN_ROOM_JOIN}
  WHERE r.direction = 'in' AND m.status = 'delivered' GROUP BY r.room_id`;

/** The room of each undelivered message this peer posted in one. */
export const ROOMS_OF_OUTBOX = `SELECT DISTINCT r.id, r.room_id AS roomId
  FROM room_messages r ${IN_ROOM_JOIN}
  WHERE r.direction = 'out' AND m.status IN ('pending', 'sent')`;

/** Remembers a peer; an older sighting (from an import) never overwrites a newer one. */
export const REMEMBER_PEER =
  `INSERT INTO peers (id, name, address, last_seen_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,
  last_seen_at = excluded.last_seen_at WHERE excluded.last_seen_at >= peers.last_seen_at`;

export const KNOWN_PEERS = "SELECT id, name, address, last_seen_at AS lastSeenAt FROM peers";

export const PINS = "SELECT name_key AS key, name, id, pinned_at AS pinnedAt FROM pins";

export const SAVE_PIN = `INSERT INTO pins (name_key, name, id, pinned_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (name_key) DO UPDATE SET name = excluded.name, id = excluded.id,
  pinned_at = excluded.pinned_at`;

/** An imported pin: a pin the new store already holds (a newer decision) wins. */
export const IMPORT_PIN = "INSERT OR IGNORE INTO pins (name_key, name, id, pinned_at) " +
  "VALUES (?, ?, ?, ?)";
