/** Messages made up for tests: a chat as it travels, a message as the store keeps it. */

import { type ChatMessage, newMessageId } from "../../protocol/mod.ts";
import type { MessageStatus, StoredMessage } from "../../peer/store/mod.ts";

/** A chat message with a fresh ID, sent now. */
export function sampleChat(text: string): ChatMessage {
  return { type: "chat", id: newMessageId(), text, sentAt: Date.now(), broadcast: false };
}

/**
 * A message with a fresh ID as the store keeps it; by default outgoing ones
 * are `pending` and incoming ones `delivered`, as when they are first saved.
 */
export function sampleMessage(
  peerId: string,
  direction: "in" | "out",
  text: string,
  status: MessageStatus = direction === "out" ? "pending" : "delivered",
): StoredMessage {
  return {
    id: newMessageId(),
    peerId,
    direction,
    text,
    sentAt: Date.now(),
    broadcast: false,
    status,
  };
}
