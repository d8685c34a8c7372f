/**
 * Everything a peer tells its user interfaces. `--json` prints these objects
 * one per line, exactly as typed here; the terminal UI renders them.
 */

import type { LeaveReason, PeerInfo } from "../protocol/mod.ts";
import type { MessageStatus } from "./store/message_store.ts";

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

/** One undelivered message, as `outbox` reports it. */
export interface OutboxEntry {
  id: string;
  to: PeerInfo;
  text: string;
  sentAt: number;
  status: MessageStatus;
}

/** The `--json` event stream. Each has `event`; peers are `{id, name, address}`. */
export type PeerEvent =
  | { event: "ready"; id: string; name: string; listen: string }
  | { event: "registered"; registry: string; reconnects: number }
  | { event: "registry_lost"; registry: string; retryInMs: number; reason: string }
  | { event: "peers"; peers: PeerInfo[] }
  | { event: "peer_joined"; peer: PeerInfo }
  | { event: "peer_left"; peer: PeerInfo; reason: LeaveReason }
  | {
    event: "message";
    id: string;
    from: PeerInfo;
    text: string;
    sentAt: number;
    broadcast: boolean;
  }
  | { event: "sent"; id: string; to: PeerInfo }
  | { event: "pending"; id: string; to: PeerInfo }
  | { event: "delivered"; id: string; to: PeerInfo }
  | { event: "read"; id: string; to: PeerInfo }
  | { event: "failed"; id: string; to: PeerInfo; reason: string }
  | { event: "history"; with: PeerInfo; messages: HistoryEntry[] }
  | { event: "outbox"; messages: OutboxEntry[] }
  | { event: "key_changed"; name: string; oldId: string; newId: string }
  | { event: "trusted"; peer: PeerInfo; previousId?: string }
  | { event: "error"; message: string }
  /** The web UI is up (`--web`); open `url`, which carries its secret. */
  | { event: "web"; url: string }
  | { event: "bye" };

/** Receives peer events. */
export type PeerEventListener = (event: PeerEvent) => void;
