/**
 * Messages on a direct link between two peers, and their validators. A link
 * starts with a three-message handshake in which each side proves it holds
 * the key behind its peer ID (see docs/PROTOCOL.md), then carries chat.
 */

import type { ErrorMessage } from "./registry_messages.ts";
import { PEER_ID_PATTERN, signedTranscript } from "./identity.ts";
import { MESSAGE_ID_PATTERN } from "./message_id.ts";
import {
  base64Bytes,
  boolean,
  integer,
  messageUnion,
  object,
  oneOf,
  type Parser,
  string,
} from "./schema.ts";

/**
 * Longest chat text, in UTF-16 code units. At most 3 UTF-8 bytes each, so a
 * stored message stays inside one 64 KiB Deno KV value and one frame.
 */
export const MAX_TEXT_LENGTH = 16384;

/** Dialler → listener: who it wants to reach, with a fresh nonce. */
export interface LinkHelloMessage {
  type: "link_hello";
  protocol: number;
  /** The ID the dialler expects to find at this address. */
  to: string;
  nonce: string;
}

/**
 * Each side's proof of identity: its public key and a signature over the
 * handshake transcript (both nonces, both IDs, and which side signs).
 */
export interface LinkAuthMessage {
  type: "link_auth";
  id: string;
  publicKey: string;
  /** The listener's nonce; the dialler repeats it back. */
  nonce: string;
  signature: string;
}

/** A chat message. `id` is chosen by the sender and reused on retries. */
export interface ChatMessage {
  type: "chat";
  id: string;
  text: string;
  /** Sender's clock, milliseconds since the epoch. */
  sentAt: number;
  broadcast: boolean;
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

export interface LinkByeMessage {
  type: "bye";
}

/** Everything a link carries, both directions. */
export type LinkMessage =
  | LinkHelloMessage
  | LinkAuthMessage
  | ChatMessage
  | AckMessage
  | ReceiptMessage
  | ReceiptAckMessage
  | LinkByeMessage
  | ErrorMessage;

const peerId = string({ pattern: PEER_ID_PATTERN, expected: "a 52-character peer ID" });
const nonce = base64Bytes(32);
const messageId = string({ pattern: MESSAGE_ID_PATTERN, expected: "a UUIDv7 message ID" });

/** Validates anything received on a direct link. */
export const parseLinkMessage: Parser<LinkMessage> = messageUnion<LinkMessage>({
  link_hello: object({
    type: oneOf("link_hello"),
    protocol: integer(0, 65535),
    to: peerId,
    nonce,
  }),
  link_auth: object({
    type: oneOf("link_auth"),
    id: peerId,
    publicKey: base64Bytes(32),
    nonce,
    signature: base64Bytes(64),
  }),
  chat: object({
    type: oneOf("chat"),
    id: messageId,
    text: string({ min: 1, max: MAX_TEXT_LENGTH }),
    sentAt: integer(0, 8.64e15),
    broadcast: boolean(),
  }),
  ack: object({ type: oneOf("ack"), id: messageId }),
  receipt: object({ type: oneOf("receipt"), id: messageId }),
  receipt_ack: object({ type: oneOf("receipt_ack"), id: messageId }),
  bye: object({ type: oneOf("bye") }),
  error: object({
    type: oneOf("error"),
    code: string({ min: 1, max: 64 }) as Parser<ErrorMessage["code"]>,
    message: string({ max: 1024 }),
  }),
}, "link");

/** Which side of a link signs a transcript. */
export type LinkRole = "listener" | "dialler";

/**
 * The bytes each side signs during the link handshake. Both nonces make it
 * fresh; the IDs bind it to this pair; the role in the label stops one side's
 * signature being reflected back as the other's. The listener signs before it
 * knows who dials, so only the dialler's transcript names the dialler.
 */
export function linkTranscript(
  role: LinkRole,
  parts: { diallerNonce: string; listenerNonce: string; listenerId: string; diallerId?: string },
): Uint8Array {
  const ids = role === "dialler" ? [parts.diallerId ?? "", parts.listenerId] : [parts.listenerId];
  return signedTranscript(
    `p2pchat/link/v1/${role}`,
    parts.diallerNonce,
    parts.listenerNonce,
    ...ids,
  );
}
