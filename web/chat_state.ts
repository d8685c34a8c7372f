/**
 * What the web UI shows beside the messages: who there is to talk to, who
 * is online, how many messages each has unread and waiting in the outbox,
 * which names came back with another key, and which conversation moved last.
 */

import type { HistoryEntry, KeyChange, LinkPath, Peer, RoomSummary } from "../peer/mod.ts";
import type { PeerInfo } from "../protocol/mod.ts";

/** One entry of the contact list. */
export interface Contact {
  peer: PeerInfo;
  online: boolean;
  /** How the open link to this contact was made, if one is open. */
  link?: LinkPath;
  unread: number;
  pending: number;
  /** `sentAt` of the newest message with this contact, if any. */
  lastMessageAt?: number;
}

/** The whole picture, as `/api/state` returns it. */
export interface ChatState {
  self: { id: string; name: string; listen: string };
  registered: boolean;
  contacts: Contact[];
  /** The rooms this peer is in, with their unread counts. */
  rooms: RoomSummary[];
  /** Key changes the user has not trusted yet (the page shows each with a Trust button). */
  keyChanges: KeyChange[];
  /** The conversation to open when none is asked for: the newest, or the room ("*"). */
  recent: string;
}

// Unread = incoming messages after the last one read; looking this far back
// is enough for a badge that says "99+" beyond it.
const UNREAD_LOOKBACK = 100;

/** Builds the contact list with counts. */
export async function chatState(peer: Peer): Promise<ChatState> {
  const pending = new Map<string, number>();
  for (const message of peer.pending()) {
    pending.set(message.peerId, (pending.get(message.peerId) ?? 0) + 1);
  }
  let newest: { at: number; conversation: string } | undefined;
  const contacts = await Promise.all(
    peer.contacts().map(async ({ peer: info, online }) => {
      const messages = await peer.conversation(info.id, UNREAD_LOOKBACK);
      const last = messages.at(-1);
      if (last && (!newest || last.sentAt > newest.at)) {
        newest = { at: last.sentAt, conversation: last.broadcast ? "*" : info.id };
      }
      return {
        peer: info,
        online,
        link: online ? peer.linkPath(info.id) : undefined,
        unread: unreadIn(messages),
        pending: pending.get(info.id) ?? 0,
        lastMessageAt: last?.sentAt,
      };
    }),
  );
  return {
    self: { id: peer.id, name: peer.name, listen: peer.listen },
    registered: peer.registered,
    contacts,
    rooms: (await peer.rooms()).filter((room) => !room.left),
    keyChanges: peer.keyChanges(),
    recent: newest?.conversation ?? "*",
  };
}

/** Incoming messages at the end of a conversation not yet read. */
export function unreadIn(messages: HistoryEntry[]): number {
  let count = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.direction === "in" && message.status === "read") break;
    if (message.direction === "in") count++;
  }
  return count;
}
