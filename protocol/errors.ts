/**
 * Errors that can cross the wire. Every code here may travel in an `error`
 * frame, so the other side learns exactly why its connection was closed.
 */

/** Machine-readable reasons a frame or message was refused. */
export type ErrorCode =
  | "frame_too_large"
  | "truncated_frame"
  | "bad_utf8"
  | "bad_json"
  | "invalid_message"
  | "unknown_type"
  | "unsupported_version"
  | "unexpected_message"
  | "bad_signature"
  | "wrong_registry"
  | "id_mismatch"
  | "name_taken"
  | "registry_full"
  | "cluster_unavailable"
  | "handshake_failed"
  | "bad_ciphertext"
  | "rate_limited"
  | "timeout"
  | "slow_consumer"
  | "list_too_large";

/** A violation of the wire protocol, carrying the code to send back. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = this.constructor.name;
    this.code = code;
  }
}
