/**
 * Rooms in the chat window: each room is the conversation `room:ID` beside
 * the contacts and "Everyone" (`*`), read from its history and posted to by
 * the same compose box.
 */

import type { Peer } from "../peer/mod.ts";
import type { ChatMessageView } from "./pages/chat_page.tsx";

/** How a room's conversation is named in the page, its forms and the API. */
export const ROOM_CONVERSATION = "room:";

/** The room ID a conversation names, if it names a room. */
export function roomIdOf(conversation: string): string | undefined {
  return conversation.startsWith(ROOM_CONVERSATION)
    ? conversation.slice(ROOM_CONVERSATION.length)
    : undefined;
}

/**
 * A room's newest `limit` messages (with `before`, those older than that
 * message), as the page shows them (with their authors).
 */
export async function roomConversation(
  peer: Peer,
  roomId: string,
  limit: number,
  before?: string,
): Promise<ChatMessageView[]> {
  const { messages } = await peer.roomHistory(roomId, limit, before);
  return messages.map((m) => ({
    id: m.id,
    direction: m.direction,
    text: m.text,
    sentAt: m.sentAt,
    broadcast: false,
    status: m.status,
    author: m.direction === "in" ? m.from.name : undefined,
  }));
}

/** Sends `text` to a conversation: a peer's ID, `*` (everyone) or a room. Resolves with its ID. */
export async function sendTo(peer: Peer, conversation: string, text: string): Promise<string> {
  if (conversation === "*") return await peer.broadcast(text);
  const roomId = roomIdOf(conversation);
  if (roomId !== undefined) return (await peer.postToRoom(roomId, text)).id;
  return await peer.send(conversation, text);
}
