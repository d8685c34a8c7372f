/**
 * Where a peer keeps its messages. The interface is what delivery needs:
 * insert-once by ID (so a retried message is stored once), status updates
 * that only move forward, and conversations in order.
 */

/** Where a message stands. `in` messages are `delivered` until read. */
export type MessageStatus = "sending" | "pending" | "sent" | "failed" | "delivered" | "read";

/** One message in one conversation. */
export interface StoredMessage {
  id: string;
  /** The other party of the conversation. */
  peerId: string;
  direction: "out" | "in";
  text: string;
  sentAt: number;
  broadcast: boolean;
  status: MessageStatus;
}

/** Which way a message went, from this peer's point of view. */
export type Direction = StoredMessage["direction"];

/**
 * Persistence for messages; see `MemoryMessageStore`. A message is identified
 * by its conversation, direction and ID: a peer cannot clash with our IDs.
 */
export interface MessageStore {
  /** Stores `message` unless it is already stored; `false` then. */
  add(message: StoredMessage): Promise<boolean>;
  get(peerId: string, direction: Direction, id: string): Promise<StoredMessage | undefined>;
  /** Incoming messages with this ID (normally one). */
  findIncoming(id: string): Promise<StoredMessage[]>;
  /**
   * Moves a message to `status` if that is progress (a late `delivered` never
   * overwrites `read`). Returns the message if it changed.
   */
  advance(
    peerId: string,
    direction: Direction,
    id: string,
    status: MessageStatus,
  ): Promise<StoredMessage | undefined>;
  /** The newest `limit` messages with `peerId`, oldest first. */
  conversation(peerId: string, limit: number): Promise<StoredMessage[]>;
  close(): void;
}

const PROGRESS: Record<MessageStatus, number> = {
  sending: 0,
  pending: 1,
  failed: 2,
  sent: 2,
  delivered: 3,
  read: 4,
};

/** True if moving from `from` to `to` is forward. */
export function isProgress(from: MessageStatus, to: MessageStatus): boolean {
  return PROGRESS[to] > PROGRESS[from] || (from === "failed" && to === "sent");
}

/** A store that forgets everything when the process ends. */
export class MemoryMessageStore implements MessageStore {
  #conversations = new Map<string, StoredMessage[]>();
  #byKey = new Map<string, StoredMessage>();

  add(message: StoredMessage): Promise<boolean> {
    const key = keyOf(message.peerId, message.direction, message.id);
    if (this.#byKey.has(key)) return Promise.resolve(false);
    const copy = { ...message };
    this.#byKey.set(key, copy);
    let conversation = this.#conversations.get(message.peerId);
    if (!conversation) this.#conversations.set(message.peerId, conversation = []);
    conversation.push(copy);
    return Promise.resolve(true);
  }

  get(peerId: string, direction: Direction, id: string): Promise<StoredMessage | undefined> {
    const found = this.#byKey.get(keyOf(peerId, direction, id));
    return Promise.resolve(found && { ...found });
  }

  findIncoming(id: string): Promise<StoredMessage[]> {
    const found = [...this.#byKey.values()].filter((m) => m.id === id && m.direction === "in");
    return Promise.resolve(found.map((m) => ({ ...m })));
  }

  advance(
    peerId: string,
    direction: Direction,
    id: string,
    status: MessageStatus,
  ): Promise<StoredMessage | undefined> {
    const message = this.#byKey.get(keyOf(peerId, direction, id));
    if (!message || !isProgress(message.status, status)) return Promise.resolve(undefined);
    message.status = status;
    return Promise.resolve({ ...message });
  }

  conversation(peerId: string, limit: number): Promise<StoredMessage[]> {
    const all = this.#conversations.get(peerId) ?? [];
    return Promise.resolve(all.slice(Math.max(0, all.length - limit)).map((m) => ({ ...m })));
  }

  close(): void {}
}

function keyOf(peerId: string, direction: Direction, id: string): string {
  return `${peerId}/${direction}/${id}`;
}
