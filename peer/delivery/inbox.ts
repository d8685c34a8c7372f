/**
 * Receives what other peers send over direct links. Everything one link
 * delivers in one go (all frames already read off the socket) is handled as
 * one batch: the chat messages are committed to the store in one transaction
 * (group commit), then acknowledged, then shown — each message once, however
 * often it arrives. Acknowledgements and receipts for our own messages are
 * batched the same way. Batches of one link are handled in order, and what
 * arrives while one is being stored becomes the next batch, whole.
 */

import {
  type ChatMessage,
  type FileOfferMessage,
  type PeerInfo,
  shortId,
} from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { Courier } from "./courier.ts";
import type { DirectLink, LinkPayload } from "../link/mod.ts";
import type { MessageStore, StoredMessage } from "../store/mod.ts";
import type { DeliveryEvent, PeerLookup, RoomGate } from "./delivery_events.ts";
import { OFFER_MARK, offerText } from "./stored_offer.ts";

/** Options for {@linkcode Inbox}. */
export interface InboxOptions {
  store: MessageStore;
  courier: Courier;
  directory: PeerLookup;
  emit: (event: DeliveryEvent) => void;
  logger: Logger;
  /**
   * False when the name `peer` goes by is pinned to another key: its
   * messages are marked `unverified`. Default: every sender is verified.
   */
  vouchesFor?: (peer: PeerInfo) => boolean;
  /**
   * A new file offer was stored: whoever handles files records it. Awaited
   * before the offer is acknowledged, so a crash never leaves an
   * acknowledged offer nobody knows about.
   */
  offered?: (from: PeerInfo, offer: FileOfferMessage) => Promise<void>;
  /** Judges room messages; without it, a room message is kept as a plain one. */
  rooms?: RoomGate;
}

/** What one link delivered since its last batch. */
interface Batch {
  /** Chat messages and file offers: both are stored, acknowledged, reported once. */
  chats: (ChatMessage | FileOfferMessage)[];
  acks: string[];
  receipts: string[];
  receiptAcks: string[];
}

function emptyBatch(): Batch {
  return { chats: [], acks: [], receipts: [], receiptAcks: [] };
}

/** Takes chat, acknowledgements and receipts off the links. */
export class Inbox {
  readonly #options: InboxOptions;
  readonly #batches = new Map<DirectLink, Batch>();
  /** The previous batch of each link; the next one starts when it is done. */
  readonly #tails = new Map<DirectLink, Promise<void>>();
  /** Each link's next batch while it waits for the previous one; later deliveries join it. */
  readonly #queued = new Map<DirectLink, Batch>();
  readonly #work = new Set<Promise<void>>();

  constructor(options: InboxOptions) {
    this.#options = options;
  }

  /** Collects one message from an authenticated link. Never throws. */
  receive(link: DirectLink, message: LinkPayload): void {
    let batch = this.#batches.get(link);
    if (!batch) this.#batches.set(link, batch = emptyBatch());
    switch (message.type) {
      case "chat":
      case "file_offer":
        batch.chats.push(message);
        break;
      case "ack":
        batch.acks.push(message.id);
        break;
      case "receipt":
        batch.receipts.push(message.id);
        break;
      case "receipt_ack":
        batch.receiptAcks.push(message.id);
        break;
    }
  }

  /** The link has nothing more buffered: handle what it delivered. */
  drained(link: DirectLink): void {
    const batch = this.#batches.get(link);
    if (!batch) return;
    this.#batches.delete(link);
    const queued = this.#queued.get(link);
    if (queued) {
      // The previous batch is still being stored: this one joins the next
      // commit instead of waiting for one of its own.
      queued.chats.push(...batch.chats);
      queued.acks.push(...batch.acks);
      queued.receipts.push(...batch.receipts);
      queued.receiptAcks.push(...batch.receiptAcks);
      return;
    }
    this.#queued.set(link, batch);
    const previous = this.#tails.get(link) ?? Promise.resolve();
    const current = previous.then(() => {
      this.#queued.delete(link);
      return this.#handle(link, batch);
    });
    this.#tails.set(link, current);
    const tracked = current.catch((error) => this.#report(error)).finally(() => {
      this.#work.delete(tracked);
      if (this.#tails.get(link) === current) this.#tails.delete(link);
    });
    this.#work.add(tracked);
  }

  /** Resolves when everything received so far is stored and answered. */
  async settled(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled(this.#work);
  }

  async #handle(link: DirectLink, batch: Batch): Promise<void> {
    const { courier } = this.#options;
    if (batch.chats.length > 0) await this.#store(link, batch.chats);
    if (batch.acks.length > 0) courier.acknowledged(link.peerId, batch.acks);
    if (batch.receipts.length > 0) {
      await courier.readByRecipient(link.peerId, batch.receipts);
      // Answered only once recorded, so a receipt lost on the way is resent.
      for (const id of batch.receipts) link.send({ type: "receipt_ack", id });
    }
    if (batch.receiptAcks.length > 0) {
      await courier.receiptsRecorded(link.peerId, batch.receiptAcks);
    }
  }

  async #store(link: DirectLink, received: (ChatMessage | FileOfferMessage)[]): Promise<void> {
    const rooms = await this.#options.rooms?.admit(link.peerId, received);
    const chats: (ChatMessage | FileOfferMessage)[] = [];
    const roomOf = new Map<ChatMessage | FileOfferMessage, { id: string; name: string }>();
    for (const [index, chat] of received.entries()) {
      const room = rooms?.[index];
      // A refused room message is acknowledged all the same: sending it again cannot help.
      if (room === null) link.send({ type: "ack", id: chat.id });
      else chats.push(chat);
      if (room) roomOf.set(chat, room);
    }
    if (chats.length === 0) return;
    const messages: StoredMessage[] = chats.map((chat) => ({
      id: chat.id,
      peerId: link.peerId,
      direction: "in",
      text: chat.type === "file_offer" ? offerText(chat) : defused(chat.text),
      sentAt: chat.sentAt,
      broadcast: chat.type === "chat" && chat.broadcast,
      status: "delivered",
      ...(roomOf.get(chat) && { roomId: roomOf.get(chat)!.id }),
    }));
    let isNew: boolean[];
    try {
      isNew = await this.#options.store.saveIncoming(messages);
    } catch (error) {
      // Not stored, so not acknowledged: the sender will send them again.
      this.#options.emit({
        event: "error",
        message:
          `${messages.length} incoming message(s) could not be stored and were not acknowledged: ${
            (error as Error).message
          }`,
      });
      return;
    }
    const from = this.#options.directory.lastKnown(link.peerId) ??
      { id: link.peerId, name: shortId(link.peerId), address: "" };
    for (const [index, chat] of chats.entries()) {
      if (isNew[index] && chat.type === "file_offer") await this.#options.offered?.(from, chat);
    }
    // Duplicates are acknowledged too: the sender missed our earlier ack.
    for (const message of messages) link.send({ type: "ack", id: message.id });
    const unverified = !(this.#options.vouchesFor?.(from) ?? true);
    for (const [index, message] of messages.entries()) {
      if (!isNew[index] || chats[index].type === "file_offer") continue;
      const room = roomOf.get(chats[index]);
      this.#options.emit({
        event: "message",
        id: message.id,
        from,
        text: message.text,
        sentAt: message.sentAt,
        broadcast: message.broadcast,
        unverified,
        ...(room && { room: { id: room.id, name: room.name } }),
      });
    }
  }

  #report(error: unknown): void {
    this.#options.logger.error("inbox failure", { error: String(error) });
    this.#options.emit({ event: "error", message: (error as Error)?.message ?? String(error) });
  }
}

/** A chat text that would read as a stored file offer gets its mark spoiled. */
function defused(text: string): string {
  return text.startsWith(OFFER_MARK) ? `\uFFFD${text.slice(1)}` : text;
}
