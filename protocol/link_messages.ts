/**
 * Messages on a direct link between two peers, and their validators. A link
 * opens with a three-message handshake in the clear (ephemeral X25519 keys,
 * each side signing the transcript with its identity key), after which every
 * frame is sealed with AES-256-GCM (see `link_crypto.ts`, docs/SECURITY.md).
 */

import type { ErrorMessage } from "./registry_messages.ts";
import { PEER_ID_PATTERN } from "./identity.ts";
import { MESSAGE_ID_PATTERN } from "./message_id.ts";
import { FILE_MESSAGE_PARSERS, type FileMessage } from "./file_messages.ts";
import {
  parseMembership,
  type RoomAckMessage,
  type RoomLeaveMessage,
  type RoomMembership,
  roomMessageParsers,
  type RoomStateMessage,
} from "./room_messages.ts";
import {
  base64Bytes,
  boolean,
  integer,
  messageUnion,
  object,
  oneOf,
  optional,
  type Parser,
  string,
} from "./schema.ts";

/**
 * Longest chat text, in UTF-16 code units. At most 3 UTF-8 bytes each, so a
 * stored message stays inside one 64 KiB Deno KV value and one frame.
 */
export const MAX_TEXT_LENGTH = 16384;

/**
 * The link protocol version this build speaks. Version 2 is encrypted;
 * version 1 (authenticated but plaintext) is refused, so no downgrade.
 */
export const LINK_PROTOCOL_VERSION = 2;

/** Dialler → listener: who it is, whom it wants, and a fresh X25519 key. */
export interface LinkHelloMessage {
  type: "link_hello";
  protocol: number;
  /** The dialler's peer ID (proved in `link_confirm`). */
  from: string;
  /** The ID the dialler expects to find at this address (from the registry). */
  to: string;
  /** Ephemeral X25519 public key, raw, base64. */
  ephemeral: string;
}

/** Listener → dialler: its key, its ephemeral key, and proof of both. */
export interface LinkAcceptMessage {
  type: "link_accept";
  id: string;
  /** Ed25519 identity public key, raw, base64. */
  publicKey: string;
  ephemeral: string;
  /** Ed25519 signature over the listener transcript. */
  signature: string;
  /** HMAC-SHA-256 over the transcript with the listener's finished key. */
  mac: string;
}

/** Dialler → listener: the dialler's key and proof. */
export interface LinkConfirmMessage {
  type: "link_confirm";
  publicKey: string;
  signature: string;
  mac: string;
}

/** A chat message. `id` is chosen by the sender and reused on retries. */
export interface ChatMessage {
  type: "chat";
  id: string;
  text: string;
  /** Sender's clock, milliseconds since the epoch. */
  sentAt: number;
  broadcast: boolean;
  /** A room message carries the room's membership as the sender knows it. */
  room?: RoomMembership;
}

/** The receiver has the message (`delivered`). */
export interface AckMessage {
  type: "ack";
  id: string;
}

/** The receiver's user has seen the message (`read`). Resent until acknowledged. */
export interface ReceiptMessage {
  type: "receipt";
  id: string;
}

/** The sender has recorded the read receipt. */
export interface ReceiptAckMessage {
  type: "receipt_ack";
  id: string;
}

/**
 * Why a receiver would not take a chat from this sender now:
 * `too_many_messages` / `too_many_bytes`: over the sender's quota per
 * minute, try again after `retryAfterMs`; `store_full`: the receiver holds
 * as much from this sender as it will store, and this message does not fit.
 */
export type RefusalReason = "too_many_messages" | "too_many_bytes" | "store_full";

/** Every {@linkcode RefusalReason}, in the order the receiver checks them. */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  "too_many_messages",
  "too_many_bytes",
  "store_full",
];

/**
 * The receiver did not store the chat `id` and will not acknowledge it.
 * `retryAfterMs` (rate refusals only): when the quota has room again.
 */
export interface RefusedMessage {
  type: "refused";
  id: string;
  reason: RefusalReason;
  retryAfterMs?: number;
}

export interface LinkByeMessage {
  type: "bye";
}

/** Messages of the (plaintext) handshake that opens a link. */
export type LinkHandshakeMessage =
  | LinkHelloMessage
  | LinkAcceptMessage
  | LinkConfirmMessage
  | ErrorMessage;

/** Messages of an established (encrypted) link, both directions. */
export type LinkMessage =
  | ChatMessage
  | AckMessage
  | ReceiptMessage
  | ReceiptAckMessage
  | RoomStateMessage
  | RoomAckMessage
  | RoomLeaveMessage
  | RefusedMessage
  | LinkByeMessage
  | FileMessage
  | ErrorMessage;

const peerId = string({ pattern: PEER_ID_PATTERN, expected: "a 52-character peer ID" });
const key32 = base64Bytes(32);
const messageId = string({ pattern: MESSAGE_ID_PATTERN, expected: "a UUIDv7 message ID" });
const errorMessage = object({
  type: oneOf("error"),
  code: string({ min: 1, max: 64 }) as Parser<ErrorMessage["code"]>,
  message: string({ max: 1024 }),
});

/** Reads only a hello's version, so an old or foreign hello is refused clearly. */
export const parseLinkHelloVersion: Parser<{ type: "link_hello"; protocol: number }> = messageUnion<
  { type: "link_hello"; protocol: number }
>(
  { link_hello: object({ type: oneOf("link_hello"), protocol: integer(0, 65535) }) },
  "link-handshake",
);

/** Validates handshake messages. */
export const parseLinkHandshake: Parser<LinkHandshakeMessage> = messageUnion<LinkHandshakeMessage>({
  link_hello: object({
    type: oneOf("link_hello"),
    protocol: integer(0, 65535),
    from: peerId,
    to: peerId,
    ephemeral: key32,
  }),
  link_accept: object({
    type: oneOf("link_accept"),
    id: peerId,
    publicKey: key32,
    ephemeral: key32,
    signature: base64Bytes(64),
    mac: key32,
  }),
  link_confirm: object({
    type: oneOf("link_confirm"),
    publicKey: key32,
    signature: base64Bytes(64),
    mac: key32,
  }),
  error: errorMessage,
}, "link-handshake");

/** Validates messages on an established link. */
export const parseLinkMessage: Parser<LinkMessage> = messageUnion<LinkMessage>({
  chat: object({
    type: oneOf("chat"),
    id: messageId,
    text: string({ min: 1, max: MAX_TEXT_LENGTH }),
    sentAt: integer(0, 8.64e15),
    broadcast: boolean(),
    room: optional(parseMembership),
  }),
  ack: object({ type: oneOf("ack"), id: messageId }),
  receipt: object({ type: oneOf("receipt"), id: messageId }),
  receipt_ack: object({ type: oneOf("receipt_ack"), id: messageId }),
  ...roomMessageParsers,
  refused: object({
    type: oneOf("refused"),
    id: messageId,
    reason: oneOf(...REFUSAL_REASONS),
    retryAfterMs: optional(integer(0, 86_400_000)),
  }),
  bye: object({ type: oneOf("bye") }),
  ...FILE_MESSAGE_PARSERS,
  error: errorMessage,
}, "link");
