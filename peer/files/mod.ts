/**
 * Sending files over the peer's encrypted links. An offer is a stored
 * message carrying the manifest (name, size, chunk size, SHA-256 per chunk
 * and of the whole file); the receiver accepts it into a directory, writes
 * `NAME.part` with a record of the chunks it verified, and fetches what it
 * lacks — several chunks in flight, between chat frames — so either side can
 * be killed and restarted and the transfer goes on from the last verified
 * chunk. Names from other peers are names, never paths; nothing is
 * overwritten; a file that changes after its offer fails clearly.
 *
 * Below it: `link/` and `delivery/` (the offer is delivered like a message).
 *
 * @module
 */

export {
  type FileErrorCode,
  type FileLinks,
  FileTransferError,
  FileTransfers,
  type FileTransfersOptions,
} from "./file_transfers.ts";
export type { FileEvent, FileTransferInfo, TransferStatus } from "./file_events.ts";
export { TransferBook, type TransferRecord } from "./transfer_book.ts";
export { numberedName, safeFileName } from "./safe_name.ts";
export { buildManifest, CHUNK_BYTES, type Manifest } from "./manifest.ts";
export { freeBytes } from "./free_space.ts";
