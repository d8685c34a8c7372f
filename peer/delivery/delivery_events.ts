/**
 * What delivery tells whoever runs it: news about messages (arrived, sent,
 * waiting, delivered, read, failed) and background failures. The engine
 * passes these on as {@linkcode PeerEvent}s unchanged.
 */

import type { PeerInfo, RefusalReason, RoomMembership } from "../../protocol/mod.ts";
import type { MessageStatus } from "../store/mod.ts";

/** One message of a conversation, as history reports it. */
export interface HistoryEntry {
  id: string;
  /** `out`: this peer sent it; `in`: it was received. */
  direction: "out" | "in";
  text: string;
  sentAt: number;
  broadcast: boolean;
  status: MessageStatus;
}

/** News from delivery; the same shapes `--json` prints. */
export type DeliveryEvent =
  | {
    event: "message";
    id: string;
    from: PeerInfo;
    text: string;
    sentAt: number;
    broadcast: boolean;
    /**
     * True when the sender's name is pinned to another key (a key change not
     * yet trusted): the name may be an impostor's.
     */
    unverified: boolean;
    /** Set when it was posted in a room (see `peer/rooms/`). */
    room?: { id: string; name: string };
  }
  | { event: "sent"; id: string; to: PeerInfo }
  | { event: "pending"; id: string; to: PeerInfo }
  | { event: "delivered"; id: string; to: PeerInfo }
  | { event: "read"; id: string; to: PeerInfo }
  | { event: "failed"; id: string; to: PeerInfo; reason: string }
  | {
    /**
     * The recipient refused the message for now: over this sender's rate
     * there. It waits in the outbox and goes again in `retryInMs`.
     */
    event: "refused";
    id: string;
    to: PeerInfo;
    reason: Exclude<RefusalReason, "store_full">;
    retryInMs: number;
  }
  | { event: "error"; message: string };

/**
 * Lets room messages in, or not (`peer/rooms/` is one). Per chat, in order:
 * `undefined` for a message of no room, `null` for one refused (already
 * said so; it is acknowledged and not kept), else the room it belongs to.
 */
export interface RoomGate {
  admit(
    peerId: string,
    chats: readonly { type: string; room?: RoomMembership }[],
  ): Promise<({ id: string; name: string } | null | undefined)[]>;
}

/**
 * Who is who, as delivery needs to know it: the engine's peer directory
 * satisfies this, so delivery never depends on the engine above it.
 */
export interface PeerLookup {
  /** A peer listed online now, by exact ID. */
  get(id: string): PeerInfo | undefined;
  /** A peer by exact ID, online or seen before. */
  lastKnown(id: string): PeerInfo | undefined;
  /** Everyone online now. */
  list(): PeerInfo[];
}
