/**
 * The upgrade from the Deno KV store (`messages.kv`) that earlier versions kept.
 *
 * A Deno KV file is itself a SQLite database (table `kv`: encoded key,
 * V8-serialized value, expiry), so it is read directly: ATTACHed to the new
 * database, its keys decoded (`kv_key.ts`) and its values deserialized with
 * `node:v8`. No `Deno.openKv`, hence no `--unstable-kv`: the upgrade works
 * from every build. Everything is written in one transaction, then the old
 * file is renamed to `messages.kv.bak` (never deleted) — a crash before the
 * rename only means the idempotent import runs again on the next start.
 */

import { decodeKvKey } from "./kv_key.ts";
import type { SqliteConnection } from "./sqlite_connection.ts";
import type { SqlRow, SqlValue } from "./sqlite_thread.ts";
import * as sql from "./store_schema.ts";
import { MESSAGE_STATUSES, type MessageStatus } from "./stored_message.ts";

/** File name of the earlier versions' Deno KV store inside the data directory. */
export const LEGACY_STORE_FILE = "messages.kv";

/** What an upgrade brought over. */
export interface KvImport {
  /** The old file, where it was. */
  from: string;
  /** Where the old file was moved, untouched. */
  backup: string;
  messages: number;
  /** Of those, outgoing messages still waiting for delivery (now in the outbox). */
  outbox: number;
  receipts: number;
  peers: number;
  pins: number;
  /** Entries that were not what this version wrote (left in the backup only). */
  skipped: number;
}

// Deno KV's value encodings (denokv_proto): V8 serialization, raw bytes, little-endian u64.
const VALUE_V8 = 1;

/**
 * Imports the Deno KV store at `kvPath`, if there is one, into `db`.
 * Returns what it imported, or `undefined` when there was nothing to import.
 */
export async function importLegacyKv(
  db: SqliteConnection,
  kvPath: string,
): Promise<KvImport | undefined> {
  try {
    await Deno.lstat(kvPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const { deserialize } = await import("node:v8");
  let entries: SqlRow[];
  try {
    entries = await readEntries(db, kvPath);
  } catch (error) {
    throw new Error(
      `cannot import ${kvPath}, the Deno KV store of an earlier p2pchat ` +
        `(${(error as Error).message}); move it out of the data directory to start without it`,
    );
  }

  const messages: SqlValue[][] = [];
  const receipts: SqlValue[][] = [];
  const peers: SqlValue[][] = [];
  const pins: SqlValue[][] = [];
  let outbox = 0;
  let skipped = 0;
  for (const entry of entries) {
    let key, value: Fields;
    try {
      key = decodeKvKey(entry.k as Uint8Array);
      value = entry.v_encoding === VALUE_V8 ? deserialize(entry.v as Uint8Array) : undefined;
    } catch {
      skipped++;
      continue;
    }
    const [kind] = key;
    if (kind === "conversation" && isMessage(value)) {
      const { peerId, id, direction, text, sentAt, broadcast, status } = value;
      messages.push([peerId, id, direction, text, sentAt, broadcast ? 1 : 0, status]);
      if (direction === "out" && (status === "pending" || status === "sent")) outbox++;
    } else if (kind === "receipts" && key.length === 3) {
      receipts.push([String(key[1]), String(key[2])]);
    } else if (kind === "peers" && isKnownPeer(value)) {
      peers.push([value.id, value.name, value.address, value.lastSeenAt]);
    } else if (kind === "pins" && key.length === 2 && isPin(value)) {
      pins.push([String(key[1]), value.name, value.id, value.pinnedAt]);
    } else if (kind !== "outbox" && kind !== "dedup" && kind !== "incoming") {
      // The outbox, dedup and incoming keys were indexes over the messages,
      // which the new schema derives; anything else was not written by p2pchat.
      skipped++;
    }
  }
  await db.run([
    { sql: sql.IMPORT_MESSAGE, width: 7, params: messages.flat(), returns: "changes" },
    { sql: sql.IMPORT_RECEIPT, width: 2, params: receipts.flat(), returns: "changes" },
    { sql: sql.REMEMBER_PEER, width: 4, params: peers.flat(), returns: "changes" },
    { sql: sql.IMPORT_PIN, width: 4, params: pins.flat(), returns: "changes" },
  ]);
  const backup = await moveAside(kvPath);
  return {
    from: kvPath,
    backup,
    messages: messages.length,
    outbox,
    receipts: receipts.length,
    peers: peers.length,
    pins: pins.length,
    skipped,
  };
}

/** Every live entry of the Deno KV file, read through an ATTACH. */
async function readEntries(db: SqliteConnection, kvPath: string): Promise<SqlRow[]> {
  await db.exec(`ATTACH DATABASE '${kvPath.replaceAll("'", "''")}' AS legacy`);
  try {
    const [entries] = await db.run([{
      sql: "SELECT k, v, v_encoding FROM legacy.kv " +
        "WHERE expiration_ms < 0 OR expiration_ms > ? ORDER BY k",
      width: 1,
      params: [Date.now()],
      returns: "rows",
    }]) as SqlRow[][];
    return entries;
  } finally {
    // Closing the attachment checkpoints its WAL into the file, so the backup is one file.
    await db.exec("DETACH DATABASE legacy");
  }
}

/** Renames the old store (and any WAL files left) to the first free `.bak` name. */
async function moveAside(path: string): Promise<string> {
  let backup = `${path}.bak`;
  for (let n = 2; await exists(backup); n++) backup = `${path}.bak${n}`;
  for (const suffix of ["-wal", "-shm", ""]) {
    if (suffix === "" || await exists(path + suffix)) {
      await Deno.rename(path + suffix, backup + suffix);
    }
  }
  return backup;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

type Fields = Record<string, unknown> | undefined;

function isMessage(v: Fields): v is {
  id: string;
  peerId: string;
  direction: "in" | "out";
  text: string;
  sentAt: number;
  broadcast: boolean;
  status: MessageStatus;
} {
  return typeof v?.id === "string" && typeof v.peerId === "string" &&
    (v.direction === "in" || v.direction === "out") && typeof v.text === "string" &&
    typeof v.sentAt === "number" && typeof v.broadcast === "boolean" &&
    MESSAGE_STATUSES.includes(v.status as MessageStatus);
}

function isKnownPeer(v: Fields): v is {
  id: string;
  name: string;
  address: string;
  lastSeenAt: number;
} {
  return typeof v?.id === "string" && typeof v.name === "string" &&
    typeof v.address === "string" && typeof v.lastSeenAt === "number";
}

function isPin(v: Fields): v is { name: string; id: string; pinnedAt: number } {
  return typeof v?.name === "string" && typeof v.id === "string" &&
    typeof v.pinnedAt === "number";
}
