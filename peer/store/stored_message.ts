/**
 * What the message store keeps, as the rest of the peer sees it: messages
 * with their status, the peers seen, and the key pinned for each name.
 */

import type { PeerInfo } from "../../protocol/mod.ts";

/**
 * Where a message stands. Outgoing: `pending` (stored, not yet on a link),
 * `sent`, `delivered` (the receiver stored it), `read`; `failed` once
 * cancelled. Incoming: `delivered` until the user has seen it, then `read`.
 */
export type MessageStatus = "pending" | "sent" | "failed" | "delivered" | "read";

/** Which way a message went, from this peer's point of view. */
export type Direction = "out" | "in";

/** One message in one conversation. */
export interface StoredMessage {
  id: string;
  /** The other party. */
  peerId: string;
  direction: Direction;
  text: string;
  /** Sender's clock, ms since the Unix epoch. */
  sentAt: number;
  broadcast: boolean;
  status: MessageStatus;
  /** The room it was posted in, if any (kept in `room_messages`). */
  roomId?: string;
}

/** A room as the store keeps it: the signed membership and this peer's own record, as JSON. */
export interface StoredRoom {
  id: string;
  membership: string;
  local: string;
}

/** A peer this peer has seen, remembered across restarts. */
export interface KnownPeer extends PeerInfo {
  lastSeenAt: number;
}

/** The ID this peer trusts for a name: the first one seen, or one the user confirmed. */
export interface Pin {
  name: string;
  id: string;
  pinnedAt: number;
}

/** Every status, in the order a message moves through them. */
export const MESSAGE_STATUSES: readonly MessageStatus[] = [
  "pending",
  "sent",
  "failed",
  "delivered",
  "read",
];

const PROGRESS: Record<MessageStatus, number> = {
  pending: 0,
  failed: 1,
  sent: 1,
  delivered: 2,
  read: 3,
};

/** True if moving from `from` to `to` is forward. */
export function isProgress(from: MessageStatus, to: MessageStatus): boolean {
  if (from === "failed") return false; // cancelled stays cancelled
  return PROGRESS[to] > PROGRESS[from] || (from === "pending" && to === "failed");
}

/** The statuses from which `to` is progress (see {@linkcode isProgress}). */
export function statusesBefore(to: MessageStatus): MessageStatus[] {
  return MESSAGE_STATUSES.filter((from) => isProgress(from, to));
}

/**
 * What one stored message is counted as beyond its text: its key (sender and
 * message IDs), the other columns and index entries, roughly. So a flood of
 * one-character messages costs what it takes on disk, not one byte each.
 */
export const ROW_BYTES = 128;

/** What `text` costs in the store, as per-sender caps count it: UTF-8 bytes plus {@linkcode ROW_BYTES}. */
export function storedBytes(text: string): number {
  let bytes = ROW_BYTES;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair (two units) is 4 UTF-8 bytes: 2 per unit.
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return bytes;
}

/** A store operation failed; the message was not (or not fully) saved. */
export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}
