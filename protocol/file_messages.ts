/**
 * Messages of a file transfer on an established link (docs/PROTOCOL.md,
 * "Files"). The offer is a stored message like chat — acknowledged with
 * `ack`, resent until it is — and carries the manifest: name, size, chunk
 * size, the SHA-256 of every chunk and of the whole file. The receiver then
 * asks for chunks by index, several in flight; each `file_chunk` travels as
 * one sealed binary frame (see `sealed_channel.ts`), between chat frames.
 */

import { ProtocolError } from "./errors.ts";
import { MESSAGE_ID_PATTERN } from "./message_id.ts";
import { array, integer, object, oneOf, type Parser, string } from "./schema.ts";

/** Smallest and largest chunk a manifest may announce. */
export const MIN_CHUNK_BYTES = 256 * 1024;
export const MAX_CHUNK_BYTES = 1024 * 1024;
/**
 * Most chunks one offer may list: 32 bytes of hash each, so the offer stays
 * well inside one 1 MiB frame (16384 × 32 bytes is 699,052 base64 characters).
 */
export const MAX_CHUNKS = 16384;
/** Most chunk indexes one `file_request` may ask for. */
export const MAX_REQUESTED_CHUNKS = 64;
/** Longest file name an offer may carry, in UTF-16 code units. */
export const MAX_FILE_NAME_LENGTH = 255;

/** The sender offers a file. `id` is a message ID; the offer is acknowledged like chat. */
export interface FileOfferMessage {
  type: "file_offer";
  id: string;
  sentAt: number;
  /** The sender's name for the file; the receiver never takes it for a path. */
  name: string;
  size: number;
  chunkSize: number;
  /** SHA-256 of the whole file, lowercase hex. */
  sha256: string;
  /** SHA-256 of each chunk in order, the 32-byte digests concatenated, base64. */
  chunks: string;
}

/** The receiver asks for these chunks of offer `id`. */
export interface FileRequestMessage {
  type: "file_request";
  id: string;
  chunks: number[];
}

/** One chunk's bytes (a binary frame: the header is JSON, `data` raw). */
export interface FileChunkMessage {
  type: "file_chunk";
  id: string;
  index: number;
  data: Uint8Array;
}

/** The receiver's user declined offer `id`. */
export interface FileDeclineMessage {
  type: "file_decline";
  id: string;
}

/** The receiver has the whole file, its SHA-256 checked. */
export interface FileCompleteMessage {
  type: "file_complete";
  id: string;
}

/** Either side gives up on transfer `id` (the file changed, cannot be read, no space…). */
export interface FileAbortMessage {
  type: "file_abort";
  id: string;
  reason: string;
}

/** Every file transfer message. */
export type FileMessage =
  | FileOfferMessage
  | FileRequestMessage
  | FileChunkMessage
  | FileDeclineMessage
  | FileCompleteMessage
  | FileAbortMessage;

const messageId = string({ pattern: MESSAGE_ID_PATTERN, expected: "a UUIDv7 message ID" });
const chunkIndex = integer(0, MAX_CHUNKS - 1);

/** The number of chunks a file of `size` bytes has (an empty file has none). */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

const offerFields = object({
  type: oneOf("file_offer"),
  id: messageId,
  sentAt: integer(0, 8.64e15),
  name: string({ min: 1, max: MAX_FILE_NAME_LENGTH }),
  size: integer(0, MAX_CHUNKS * MAX_CHUNK_BYTES),
  chunkSize: integer(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES),
  sha256: string({ pattern: /^[0-9a-f]{64}$/, expected: "64 lowercase hex digits" }),
  chunks: string({ max: Math.ceil((MAX_CHUNKS * 32) / 3) * 4, expected: "base64 digests" }),
});

/** Validates an offer, including that it lists exactly one digest per chunk. */
export const parseFileOffer: Parser<FileOfferMessage> = function parseFileOffer(value, path) {
  const offer = offerFields(value, path);
  const count = chunkCount(offer.size, offer.chunkSize);
  if (count > MAX_CHUNKS) {
    throw new ProtocolError(
      "invalid_message",
      `File offer has ${count} chunks; at most ${MAX_CHUNKS} are allowed`,
    );
  }
  let digests: Uint8Array;
  try {
    digests = Uint8Array.fromBase64(offer.chunks);
  } catch {
    throw new ProtocolError("invalid_message", `Field "chunks" must be base64`);
  }
  if (digests.length !== count * 32) {
    throw new ProtocolError(
      "invalid_message",
      `Field "chunks" must hold ${count} SHA-256 digests (${count * 32} bytes), ` +
        `got ${digests.length} bytes`,
    );
  }
  return offer;
};

/** Validates a chunk: the header fields, and `data` as bytes of at most one chunk. */
const parseFileChunk: Parser<FileChunkMessage> = function parseFileChunk(value, path) {
  const header = object({ type: oneOf("file_chunk"), id: messageId, index: chunkIndex })(
    value,
    path,
  );
  const data = (value as { data?: unknown }).data;
  if (!(data instanceof Uint8Array) || data.length === 0 || data.length > MAX_CHUNK_BYTES) {
    throw new ProtocolError(
      "invalid_message",
      `A file_chunk must come as a binary frame of 1 to ${MAX_CHUNK_BYTES} bytes`,
    );
  }
  return { ...header, data };
};

/** Parsers of the file messages, by type, for the link's message union. */
export const FILE_MESSAGE_PARSERS = {
  file_offer: parseFileOffer,
  file_request: object({
    type: oneOf("file_request"),
    id: messageId,
    chunks: array(chunkIndex, MAX_REQUESTED_CHUNKS),
  }),
  file_chunk: parseFileChunk,
  file_decline: object({ type: oneOf("file_decline"), id: messageId }),
  file_complete: object({ type: oneOf("file_complete"), id: messageId }),
  file_abort: object({ type: oneOf("file_abort"), id: messageId, reason: string({ max: 512 }) }),
};
