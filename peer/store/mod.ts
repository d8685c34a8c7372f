/**
 * What a peer keeps on disk, all under its data directory: the identity key
 * (`identity.json`), the message store (history, outbox, receipts, known
 * peers), the pin book that binds each name to the key first seen with it,
 * and the lock that lets only one process use the directory at a time.
 *
 * @module
 */

export { Identity, IDENTITY_FILE, IdentityError } from "./identity_file.ts";
export {
  DEDUP_WINDOW_MS,
  type Direction,
  isProgress,
  type KnownPeer,
  type MessageStatus,
  MessageStore,
  type Pin,
  STORE_FILE,
  type StoredMessage,
  StoreError,
} from "./message_store.ts";
export { PinBook, type PinVerdict } from "./pin_book.ts";
export { defaultDataDir } from "./data_dir.ts";
export { DataDirBusyError, DataDirLock } from "./data_dir_lock.ts";
