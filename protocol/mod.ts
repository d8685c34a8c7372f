/**
 * The p2pchat wire protocol, shared by the registry and peers: length-prefixed
 * frames, the JSON messages they carry and a validator for each, identities
 * derived from Ed25519 keys and the signed registration they make
 * ({@linkcode signedRegistration}), the cryptography of direct links
 * (handshake transcripts, key derivation, AES-GCM sealed batches), and the
 * small value types (addresses, names, message IDs) both sides must agree
 * on. It knows bytes and shapes; what to do with a message is the business of
 * `registry/` and `peer/`. Below it are only `async/` (its read deadlines)
 * and nothing else.
 *
 * @module
 */

export { type ErrorCode, ProtocolError } from "./errors.ts";
export {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  type FrameDecoderOptions,
} from "./frame_codec.ts";
export {
  type ByteConnection,
  type FrameSink,
  FrameStream,
  type FrameStreamOptions,
  isConnectionGone,
} from "./frame_stream.ts";
export { acceptConnections, type AcceptOptions } from "./accept_loop.ts";
export {
  decodeMessage,
  encodeMessage,
  flushWithin,
  MessageChannel,
  readFrameWithin,
} from "./message_channel.ts";
export {
  base32,
  PEER_ID_PATTERN,
  peerIdFromPublicKey,
  PUBLIC_KEY_BYTES,
  SHORT_ID_LENGTH,
  shortId,
  SIGNATURE_BYTES,
  signedTranscript,
  verifySignature,
} from "./identity.ts";
export * from "./registry_messages.ts";
export * from "./rendezvous_messages.ts";
export {
  type RegistrationFields,
  type RegistrationSigner,
  registrationTranscript,
  signedRegistration,
} from "./registration.ts";
export * from "./link_messages.ts";
export * from "./file_messages.ts";
export * from "./room_messages.ts";
export { MESSAGE_ID_PATTERN, newMessageId } from "./message_id.ts";
export {
  deriveSessionKeys,
  type EphemeralKey,
  finishedMac,
  finishedMacMatches,
  type HandshakeTranscript,
  newEphemeralKey,
  type SessionKeys,
  signedPart,
  transcriptBytes,
} from "./link_crypto.ts";
export { SealedChannel, type SealingKeys } from "./sealed_channel.ts";
export {
  type FrameKey,
  importFrameKey,
  openWith,
  SAME_THREAD_BYTES,
  sealWith,
} from "./frame_key.ts";
export { MAX_NAME_LENGTH, NAME_RULE, nameKey, nameProblem, normalizeName } from "./names.ts";
export {
  advertiseProblem,
  formatHostPort,
  formatNetAddr,
  type HostPort,
  ipLiteral,
  isLoopback,
  isUnspecified,
  parseHostPort,
} from "./address.ts";
export { APP_VERSION, CLIENT_NAME, PROTOCOL_VERSION } from "./version.ts";
export type { Parser } from "./schema.ts";
