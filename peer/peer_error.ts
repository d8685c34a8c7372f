/**
 * Why a {@linkcode Peer} method refused what it was asked. Methods return
 * their answer or throw this; events are only for news nobody asked for.
 */

import type { FileErrorCode } from "./files/mod.ts";
import type { RoomErrorCode } from "./rooms/mod.ts";

/** What went wrong, for programs (the web UI maps these to responses). */
export type PeerErrorCode =
  /** No peer has that name, ID or ID prefix. */
  | "unknown_peer"
  /** The name or ID is this peer's own. */
  | "self"
  /** The operation needs the peer online (trust), and it is not. */
  | "not_online"
  /** An ID given to name a key is shorter than a short ID. */
  | "id_too_short"
  /** The key a name holds now is not the one named (trust). */
  | "key_mismatch"
  /** Nobody is online to broadcast to. */
  | "nobody_online"
  | "text_empty"
  | "text_too_long"
  /** No received message has that ID. */
  | "unknown_message"
  /** That received message was marked read before. */
  | "already_read"
  /** No undelivered message has that ID. */
  | "not_pending"
  /** An ID prefix that starts more than one undelivered message's ID. */
  | "ambiguous_id"
  /** The message store failed. */
  | "store_failed"
  /** File transfers: see `FileErrorCode` in `files/`. */
  | FileErrorCode
  /** Refused room requests (see `rooms/room_error.ts`). */
  | RoomErrorCode;

/** A refused request, with a message fit to show a person as is. */
export class PeerError extends Error {
  readonly code: PeerErrorCode;

  constructor(code: PeerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}
