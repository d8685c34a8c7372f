/**
 * Chat over direct links with nothing lost or doubled: every message is
 * stored before it is sent, delivered by the {@linkcode Courier} until the
 * recipient acknowledges it, received by the {@linkcode Inbox} (stored, then
 * acknowledged, each ID once), and read receipts travel back the same way.
 */

import { MAX_TEXT_LENGTH, newMessageId, type PeerInfo } from "../../protocol/mod.ts";
import { Courier, type CourierOptions } from "./courier.ts";
import type { DirectLink } from "../link/direct_link.ts";
import type { HistoryEntry } from "../events.ts";
import { Inbox } from "./inbox.ts";
import type { LinkPayload } from "../link/link_pool.ts";
import type { StoredMessage } from "../store/message_store.ts";

/** Options for {@linkcode Messenger}: what its courier needs (see {@linkcode CourierOptions}). */
export type MessengerOptions = CourierOptions;

/** Why a text cannot be sent, or `null` if it can. */
export function textProblem(text: string): string | null {
  if (text.trim() === "") return "Message is empty";
  if (text.length > MAX_TEXT_LENGTH) {
    return `Message too long: ${text.length} characters exceeds the ${MAX_TEXT_LENGTH}-character limit`;
  }
  return null;
}

/** Sends, receives, acknowledges and remembers chat messages. */
export class Messenger {
  readonly #options: MessengerOptions;
  readonly #courier: Courier;
  readonly #inbox: Inbox;

  constructor(options: MessengerOptions) {
    this.#options = options;
    this.#courier = new Courier(options);
    this.#inbox = new Inbox({ ...options, courier: this.#courier });
  }

  /** Picks up messages and receipts earlier runs left undelivered. */
  async restore(): Promise<void> {
    await this.#courier.restore();
  }

  /**
   * Stores `text` for `peer` and starts delivering it. Resolves with the
   * message ID once it is stored (from then on it cannot be lost). Progress
   * arrives as `sent` or `pending`, then `delivered` and `read` events.
   */
  async send(peer: PeerInfo, text: string): Promise<string> {
    const [message] = await this.#save([peer], text, false);
    return message.id;
  }

  /** Sends `text` to every online peer under one ID; each recipient acknowledges it. */
  async broadcast(text: string): Promise<string | undefined> {
    const peers = this.#options.directory.list();
    if (peers.length === 0) return undefined;
    return (await this.#save(peers, text, true))[0].id;
  }

  /** Handles a chat-level message from an authenticated link. */
  receive(link: DirectLink, message: LinkPayload): void {
    this.#inbox.receive(link, message);
  }

  /** Marks a received message read and tells its sender (reliably). */
  async markRead(id: string): Promise<boolean> {
    const found = await this.#options.store.findIncoming(id);
    for (const message of found) {
      const changed = await this.#options.store.markRead(message.peerId, [id]);
      if (changed.length > 0) this.#courier.enqueueReceipt(message.peerId, id);
    }
    return found.length > 0;
  }

  /** Withdraws a message not delivered yet; its recipients get `failed`. */
  async cancel(id: string): Promise<boolean> {
    const waiting = this.#courier.pending().filter((m) => m.id === id);
    let cancelled = false;
    for (const message of waiting) {
      this.#courier.withdraw(message.peerId, id);
      const changed = await this.#options.store.cancel(message.peerId, id);
      if (!changed) continue;
      cancelled = true;
      this.#options.emit({
        event: "failed",
        id,
        to: this.#peer(message.peerId),
        reason: "cancelled before delivery",
      });
    }
    return cancelled;
  }

  /** Outgoing messages not yet delivered, oldest first per recipient. */
  pending(): StoredMessage[] {
    return this.#courier.pending();
  }

  /**
   * The newest `limit` messages exchanged with `peer`, oldest first; with
   * `before`, those older than that message ID.
   */
  async history(peer: PeerInfo, limit: number, before?: string): Promise<HistoryEntry[]> {
    const messages = await this.#options.store.conversation(peer.id, limit, before);
    return messages.map(({ id, direction, text, sentAt, broadcast, status }) => ({
      id,
      direction,
      text,
      sentAt,
      broadcast,
      status,
    }));
  }

  /** The link delivered everything it had: handle it as one batch. */
  drained(link: DirectLink): void {
    this.#inbox.drained(link);
  }

  linkOpened(link: DirectLink): void {
    this.#courier.linkOpened(link);
  }

  linkClosed(link: DirectLink): void {
    this.#courier.linkClosed(link);
  }

  /** The peer is listed again by the registry: deliver what waits for it. */
  peerAvailable(peerId: string): void {
    this.#courier.peerAvailable(peerId);
  }

  /** Stops delivering and waits for work in progress. */
  async close(): Promise<void> {
    await this.#inbox.settled();
    await this.#courier.close();
  }

  async #save(peers: PeerInfo[], text: string, broadcast: boolean): Promise<StoredMessage[]> {
    const id = newMessageId();
    const sentAt = Date.now();
    const messages: StoredMessage[] = peers.map((peer) => ({
      id,
      peerId: peer.id,
      direction: "out",
      text,
      sentAt,
      broadcast,
      status: "pending",
    }));
    await this.#options.store.saveOutgoing(messages);
    this.#courier.enqueue(messages);
    return messages;
  }

  #peer(peerId: string): PeerInfo {
    return this.#options.directory.lastKnown(peerId) ??
      { id: peerId, name: peerId.slice(0, 8), address: "" };
  }
}
