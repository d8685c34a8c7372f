/**
 * Chat over direct links: sends messages and waits for their acknowledgement,
 * receives messages (once each, however often they arrive), and passes read
 * receipts both ways. Every message is stored before it is sent or
 * acknowledged.
 */

import {
  type ChatMessage,
  MAX_TEXT_LENGTH,
  newMessageId,
  type PeerInfo,
  shortId,
} from "../protocol/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { DirectLink } from "./direct_link.ts";
import type { HistoryEntry, PeerEvent } from "./events.ts";
import type { LinkPayload, LinkPool } from "./link_pool.ts";
import type { MessageStore, StoredMessage } from "./message_store.ts";
import type { PeerDirectory } from "./peer_directory.ts";

/** Options for {@linkcode Messenger}. */
export interface MessengerOptions {
  links: LinkPool;
  directory: PeerDirectory;
  store: MessageStore;
  emit: (event: PeerEvent) => void;
  logger: Logger;
  /** How long a sent message may wait for its acknowledgement. Default 10 s. */
  ackTimeoutMs?: number;
}

/** Why a text cannot be sent, or `null` if it can. */
export function textProblem(text: string): string | null {
  if (text.trim() === "") return "Message is empty";
  if (text.length > MAX_TEXT_LENGTH) {
    return `Message too long: ${text.length} characters exceeds the ${MAX_TEXT_LENGTH}-character limit`;
  }
  return null;
}

/** Sends, receives and acknowledges chat messages. */
export class Messenger {
  readonly #options: MessengerOptions;
  readonly #awaitingAck = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(options: MessengerOptions) {
    this.#options = options;
  }

  /**
   * Stores and sends `text` to `peer`. Progress arrives as events: `sent`,
   * then `delivered` (or `failed`). Returns the message ID.
   */
  async send(peer: PeerInfo, text: string, options: { id?: string; broadcast?: boolean } = {}) {
    const message: StoredMessage = {
      id: options.id ?? newMessageId(),
      peerId: peer.id,
      direction: "out",
      text,
      sentAt: Date.now(),
      broadcast: options.broadcast ?? false,
      status: "sending",
    };
    await this.#options.store.add(message);
    await this.#transmit(peer, message);
    return message.id;
  }

  /** Sends `text` to every known peer under one message ID. */
  async broadcast(text: string): Promise<string | undefined> {
    const peers = this.#options.directory.list();
    if (peers.length === 0) return undefined;
    const id = newMessageId();
    await Promise.all(peers.map((peer) => this.send(peer, text, { id, broadcast: true })));
    return id;
  }

  /** Handles a chat-level message from an authenticated link. */
  async receive(link: DirectLink, message: LinkPayload): Promise<void> {
    switch (message.type) {
      case "chat":
        return await this.#receiveChat(link, message);
      case "ack":
        return await this.#settle(link.peerId, message.id, "delivered");
      case "receipt":
        return await this.#settle(link.peerId, message.id, "read");
    }
  }

  /** Marks an incoming message read and tells its sender. */
  async markRead(id: string): Promise<boolean> {
    const found = await this.#options.store.findIncoming(id);
    if (found.length === 0) return false;
    for (const message of found) {
      const changed = await this.#options.store.advance(message.peerId, "in", id, "read");
      if (!changed) continue;
      const peer = this.#peerInfo(message.peerId);
      try {
        const link = await this.#options.links.linkTo(peer);
        link.send({ type: "receipt", id });
      } catch (error) {
        this.#options.logger.warn("read receipt not sent", {
          peer: shortId(peer.id),
          reason: (error as Error).message,
        });
      }
    }
    return true;
  }

  /** The newest `limit` messages exchanged with `peer`, oldest first. */
  async history(peer: PeerInfo, limit: number): Promise<HistoryEntry[]> {
    const messages = await this.#options.store.conversation(peer.id, limit);
    return messages.map(({ id, direction, text, sentAt, broadcast, status }) => ({
      id,
      direction,
      text,
      sentAt,
      broadcast,
      status,
    }));
  }

  /** Stops waiting for acknowledgements. */
  close(): void {
    for (const timer of this.#awaitingAck.values()) clearTimeout(timer);
    this.#awaitingAck.clear();
  }

  async #transmit(peer: PeerInfo, message: StoredMessage): Promise<void> {
    let link: DirectLink;
    try {
      link = await this.#options.links.linkTo(peer);
    } catch (error) {
      await this.#fail(peer, message.id, (error as Error).message);
      return;
    }
    const chat: ChatMessage = {
      type: "chat",
      id: message.id,
      text: message.text,
      sentAt: message.sentAt,
      broadcast: message.broadcast,
    };
    link.send(chat);
    await this.#options.store.advance(peer.id, "out", message.id, "sent");
    this.#options.emit({ event: "sent", id: message.id, to: peer });
    const key = `${peer.id}/${message.id}`;
    const timeoutMs = this.#options.ackTimeoutMs ?? 10_000;
    this.#awaitingAck.set(
      key,
      setTimeout(() => {
        this.#awaitingAck.delete(key);
        void this.#fail(peer, message.id, `no acknowledgement within ${timeoutMs} ms`);
      }, timeoutMs),
    );
  }

  async #fail(peer: PeerInfo, id: string, reason: string): Promise<void> {
    await this.#options.store.advance(peer.id, "out", id, "failed");
    this.#options.emit({ event: "failed", id, to: peer, reason });
  }

  async #receiveChat(link: DirectLink, message: ChatMessage): Promise<void> {
    const isNew = await this.#options.store.add({
      id: message.id,
      peerId: link.peerId,
      direction: "in",
      text: message.text,
      sentAt: message.sentAt,
      broadcast: message.broadcast,
      status: "delivered",
    });
    // Acknowledge duplicates too: the sender retried because it missed our ack.
    link.send({ type: "ack", id: message.id });
    if (!isNew) return;
    this.#options.emit({
      event: "message",
      id: message.id,
      from: this.#peerInfo(link.peerId),
      text: message.text,
      sentAt: message.sentAt,
      broadcast: message.broadcast,
    });
  }

  async #settle(peerId: string, id: string, status: "delivered" | "read"): Promise<void> {
    const key = `${peerId}/${id}`;
    clearTimeout(this.#awaitingAck.get(key));
    this.#awaitingAck.delete(key);
    const changed = await this.#options.store.advance(peerId, "out", id, status);
    // Only our own messages get acknowledged; an ack for anything else is ignored.
    if (!changed) return;
    this.#options.emit({ event: status, id, to: this.#peerInfo(peerId) });
  }

  /** The peer as the directory knows (or knew) it, or a placeholder for a stranger. */
  #peerInfo(peerId: string): PeerInfo {
    return this.#options.directory.lastKnown(peerId) ??
      { id: peerId, name: shortId(peerId), address: "" };
  }
}
