/**
 * Everything a peer tells its user interfaces. `--json` prints these objects
 * one per line, exactly as typed here; the terminal UI renders them.
 */

import type { LeaveReason, PeerInfo } from "../protocol/mod.ts";
import type { DeliveryEvent, HistoryEntry } from "./delivery/mod.ts";
import type { LinkPath } from "./link/mod.ts";
import type { MessageStatus } from "./store/mod.ts";
import type { FileEvent, FileTransferInfo } from "./files/mod.ts";

export type { FileEvent, FileTransferInfo };
import type { RoomEvent, RoomHistoryEntry, RoomSummary, RoomView } from "./rooms/mod.ts";

export type { HistoryEntry };

/** One undelivered message, as `outbox` reports it. */
export interface OutboxEntry {
  id: string;
  to: PeerInfo;
  text: string;
  sentAt: number;
  status: MessageStatus;
}

/** A name the registry lists with a key other than the one pinned for it. */
export interface KeyChange {
  name: string;
  oldId: string;
  newId: string;
}

/** The `--json` event stream. Each has `event`; peers are `{id, name, address}`. */
export type PeerEvent =
  | { event: "ready"; id: string; name: string; listen: string }
  /** With `reconnects` > 0 also how long the registry was away and the attempts it took. */
  | {
    event: "registered";
    registry: string;
    reconnects: number;
    awayMs?: number;
    attempts?: number;
  }
  /** Without `--registry`: the LAN named this registry (an untrusted hint; see SECURITY.md). */
  | { event: "registry_found"; registry: string; instance: string }
  /** Once per outage: the registry this peer was registered with is gone. */
  | { event: "registry_lost"; registry: string; retryInMs: number; reason: string }
  /** An attempt to reach the registry failed; `attempts` counts this outage's failures. */
  | {
    event: "registry_retry";
    registry: string;
    attempts: number;
    retryInMs: number;
    reason: string;
  }
  /** `links`: the path of the open link to each peer that has one, by peer ID. */
  | { event: "peers"; peers: PeerInfo[]; links?: Record<string, LinkPath> }
  | { event: "peer_joined"; peer: PeerInfo }
  /** A listed peer's address (or name) changed, for example after a registry restart. */
  | { event: "peer_updated"; peer: PeerInfo; previous: PeerInfo }
  | { event: "peer_left"; peer: PeerInfo; reason: LeaveReason }
  /** A link to `peer` is open (either side made it), by the path it took. */
  | { event: "link"; peer: PeerInfo; path: LinkPath }
  | DeliveryEvent
  | FileEvent
  | RoomEvent
  /** Answers `rooms`: every room this peer knows, with unread counts. */
  | { event: "rooms"; rooms: RoomSummary[] }
  /** Answers `history` of a room. */
  | { event: "room_history"; room: RoomView; messages: RoomHistoryEntry[] }
  /** `unverified`: `with`'s name is pinned to another key (see `message`). */
  | { event: "history"; with: PeerInfo; messages: HistoryEntry[]; unverified: boolean }
  | { event: "outbox"; messages: OutboxEntry[] }
  /** Answers `read`: the message is marked read, and a receipt is on its way to `from`. */
  | { event: "marked_read"; id: string; from: PeerInfo }
  | { event: "key_changed"; name: string; oldId: string; newId: string }
  | { event: "trusted"; peer: PeerInfo; previousId?: string }
  /** The web UI is up (`--web`); open `url`, which carries its secret. */
  | { event: "web"; url: string }
  | { event: "bye" };

/** Receives peer events. */
export type PeerEventListener = (event: PeerEvent) => void;
