/**
 * What a user does with messages, over the {@linkcode Courier} that delivers
 * them: send and broadcast (each stored before it is sent), mark read (the
 * sender gets a receipt), cancel what is not delivered yet, and read history.
 * Receiving is the {@linkcode Inbox}'s job; whoever runs delivery wires links
 * to both directly.
 */

import { newMessageId, type PeerInfo } from "../../protocol/mod.ts";
import type { MessageStore, StoredMessage } from "../store/mod.ts";
import type { Courier } from "./courier.ts";
import type { DeliveryEvent, HistoryEntry, PeerLookup } from "./delivery_events.ts";
import { offerSummary } from "./stored_offer.ts";

/** What {@linkcode Messenger} works with. */
export interface MessengerOptions {
  courier: Courier;
  store: MessageStore;
  directory: PeerLookup;
  emit: (event: DeliveryEvent) => void;
}

/** Sends, cancels, marks read and remembers chat messages. */
export class Messenger {
  readonly #options: MessengerOptions;

  constructor(options: MessengerOptions) {
    this.#options = options;
  }

  /**
   * Stores `text` for `peer` and starts delivering it. Resolves with the
   * message ID once it is stored (from then on it cannot be lost). Progress
   * arrives as `sent` or `pending`, then `delivered` and `read` events.
   */
  send(peer: PeerInfo, text: string): Promise<string> {
    return this.#save([peer], text, false).then(([message]) => message.id);
  }

  /**
   * Sends `text` to every online peer under one ID; each recipient
   * acknowledges it. `undefined` when nobody is online.
   */
  async broadcast(text: string): Promise<string | undefined> {
    const peers = this.#options.directory.list();
    if (peers.length === 0) return undefined;
    return (await this.#save(peers, text, true))[0].id;
  }

  /**
   * Marks a received message read and tells its sender (reliably). Returns
   * its sender and whether it was unread until now; `undefined` if no
   * received message has `id`.
   */
  async markRead(id: string): Promise<{ peerId: string; wasUnread: boolean } | undefined> {
    const { store, courier } = this.#options;
    const found = await store.findIncoming(id);
    if (found.length === 0) return undefined;
    let wasUnread = false;
    for (const message of found) {
      const changed = await store.markRead(message.peerId, [id]);
      if (changed.length === 0) continue;
      courier.enqueueReceipt(message.peerId, id);
      wasUnread = true;
    }
    return { peerId: found[0].peerId, wasUnread };
  }

  /**
   * Withdraws a message not delivered yet; its recipients get `failed`.
   * Returns the IDs of the recipients it was withdrawn from (none if it was
   * not pending for anyone).
   */
  async cancel(id: string): Promise<string[]> {
    const { store, courier } = this.#options;
    const waiting = courier.pending().filter((m) => m.id === id);
    const cancelled: string[] = [];
    for (const message of waiting) {
      courier.withdraw(message.peerId, id);
      const changed = await store.cancel(message.peerId, id);
      if (!changed) continue;
      cancelled.push(message.peerId);
      this.#options.emit({
        event: "failed",
        id,
        to: this.#peer(message.peerId),
        reason: "cancelled before delivery",
      });
    }
    return cancelled;
  }

  /**
   * The newest `limit` messages exchanged with `peerId`, oldest first; with
   * `before`, those older than that message ID.
   */
  async history(peerId: string, limit: number, before?: string): Promise<HistoryEntry[]> {
    const messages = await this.#options.store.conversation(peerId, limit, before);
    return messages.map(({ id, direction, text, sentAt, broadcast, status }) => ({
      id,
      direction,
      text: offerSummary(text),
      sentAt,
      broadcast,
      status,
    }));
  }

  /**
   * Stores a file offer for `peer` under the offer's own ID and starts
   * delivering it like a message (it waits in the outbox while `peer` is away).
   */
  async offer(peer: PeerInfo, text: string, id: string): Promise<void> {
    await this.#save([peer], text, false, id);
  }

  #save(
    peers: PeerInfo[],
    text: string,
    broadcast: boolean,
    id = newMessageId(),
  ): Promise<StoredMessage[]> {
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
    return this.#options.store.saveOutgoing(messages).then(() => {
      this.#options.courier.enqueue(messages);
      return messages;
    });
  }

  #peer(peerId: string): PeerInfo {
    return this.#options.directory.lastKnown(peerId) ??
      { id: peerId, name: peerId.slice(0, 8), address: "" };
  }
}
