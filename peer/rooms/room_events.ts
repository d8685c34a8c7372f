/** What rooms tell the user interfaces; the engine passes these on as `PeerEvent`s. */

import type { RoomMember } from "../../protocol/mod.ts";
import type { MessageStatus } from "../store/mod.ts";

/** A room as `room` events and `/rooms` show it. */
export interface RoomView {
  id: string;
  name: string;
  members: RoomMember[];
  version: number;
  /** Who signs its membership: the only one who may invite. */
  creator: RoomMember;
  /** True once this peer left it (or was never let back in). */
  left: boolean;
}

/** A room with how many of its received messages are unread (`rooms`). */
export interface RoomSummary extends RoomView {
  unread: number;
}

/** One message of a room's history. */
export interface RoomHistoryEntry {
  id: string;
  /** `out`: this peer posted it; `in`: a member did. */
  direction: "out" | "in";
  from: RoomMember;
  text: string;
  sentAt: number;
  /** Outgoing: how far the member it has reached least far has it. */
  status: MessageStatus;
}

/** News from rooms. */
export type RoomEvent =
  /** A room was created, or its membership changed (or this peer left it). */
  | ({ event: "room" } & RoomView)
  /** A membership or room message nobody authorised was refused. */
  | { event: "error"; message: string };
