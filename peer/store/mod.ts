/**
 * What a peer keeps on disk, all under its data directory: the identity key
 * (`identity.json`), the message store (`messages.db`, SQLite on its own
 * thread: history, outbox, receipts, known peers, pins; an earlier version's
 * `messages.kv` is imported on first start), the pin book that binds each
 * name to the key first seen with it, and the lock that lets only one
 * process use the directory at a time.
 *
 * @module
 */

export { Identity, IDENTITY_FILE, IdentityError } from "./identity_file.ts";
export { MessageStore, type MessageStoreOptions, STORE_FILE } from "./message_store.ts";
export {
  type Direction,
  isProgress,
  type KnownPeer,
  type MessageStatus,
  type Pin,
  ROW_BYTES,
  storedBytes,
  type StoredMessage,
  type StoredRoom,
  StoreError,
} from "./stored_message.ts";
export { type KvImport, LEGACY_STORE_FILE } from "./kv_import.ts";
export { PinBook, type PinVerdict } from "./pin_book.ts";
export { defaultDataDir } from "./data_dir.ts";
export { DataDirBusyError, DataDirError, DataDirLock } from "./data_dir_lock.ts";
