/** The broadcast room: every broadcast sent or received, from all conversations. */

import type { Peer } from "../peer/mod.ts";
import type { ChatMessageView } from "./pages/chat_page.tsx";

/** How far back each conversation is searched for broadcasts. */
const PER_CONTACT = 50;

/** The newest `limit` broadcasts, oldest first, each once (ours went to many). */
export async function roomMessages(peer: Peer, limit = 50): Promise<ChatMessageView[]> {
  const byId = new Map<string, ChatMessageView>();
  for (const { peer: contact } of peer.contacts()) {
    for (const message of await peer.conversation(contact.id, PER_CONTACT)) {
      if (!message.broadcast || byId.has(message.id)) continue;
      byId.set(message.id, {
        ...message,
        author: message.direction === "in" ? contact.name : undefined,
      });
    }
  }
  return [...byId.values()].sort((a, b) => a.id < b.id ? -1 : 1).slice(-limit);
}
