/**
 * What the web UI shows beside the messages: who there is to talk to, who
 * is online, how many messages each has unread and waiting in the outbox.
 */

import type { HistoryEntry, Peer } from "../peer/mod.ts";
import type { PeerInfo } from "../protocol/mod.ts";

/** One entry of the contact list. */
export interface Contact {
  peer: PeerInfo;
  online: boolean;
  unread: number;
  pending: number;
}

/** The whole picture, as `/api/state` returns it. */
export interface ChatState {
  self: { id: string; name: string; listen: string };
  registered: boolean;
  contacts: Contact[];
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
  const contacts = await Promise.all(
    peer.contacts().map(async ({ peer: info, online }) => ({
      peer: info,
      online,
      unread: unreadIn(await peer.conversation(info.id, UNREAD_LOOKBACK)),
      pending: pending.get(info.id) ?? 0,
    })),
  );
  return {
    self: { id: peer.id, name: peer.name, listen: peer.listen },
    registered: peer.registered,
    contacts,
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
