/**
 * Receives what other peers send over direct links. Everything one link
 * delivers in one go (all frames already read off the socket) is handled as
 * one batch: the chat messages are committed to the store in one transaction
 * (group commit), then acknowledged, then shown — each message once, however
 * often it arrives. Acknowledgements and receipts for our own messages are
 * batched the same way. Batches of one link are handled in order, and what
 * arrives while one is being stored becomes the next batch, whole — up to a
 * bound: past it, the link is not read until the commit in progress is done
 * (back-pressure), so a fast sender waits in TCP, not in this peer's memory.
 * Each sender's quota ({@linkcode SenderQuota}) is applied on the way in:
 * what is over it is answered `refused` and neither kept nor acknowledged.
 */

import {
  type ChatMessage,
  type FileOfferMessage,
  type PeerInfo,
  type RefusedMessage,
  shortId,
} from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { Courier } from "./courier.ts";
import type { DirectLink, LinkPayload } from "../link/mod.ts";
import { type MessageStore, storedBytes, type StoredMessage } from "../store/mod.ts";
import type { DeliveryEvent, PeerLookup, RoomGate } from "./delivery_events.ts";
import { OFFER_MARK, offerText } from "./stored_offer.ts";
import { type Refusal, type SenderLimits, SenderQuota } from "./sender_quota.ts";

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
  /** Each sender's quota; defaults in `DEFAULT_SENDER_LIMITS`. */
  limits?: Partial<SenderLimits>;
}

/**
 * A link's batch waiting behind a commit stops growing at this many
 * messages or bytes of text: then the link is not read until that commit is
 * done. With the batch being committed, at most twice this is held per link.
 */
const MAX_QUEUED_MESSAGES = 1024;
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** What one link delivered since its last batch. */
interface Batch {
  /** Chat messages and file offers: both are stored, acknowledged, reported once. */
  chats: (ChatMessage | FileOfferMessage)[];
  /** Each one's size as the store counts it (`storedBytes`). */
  sizes: number[];
  acks: string[];
  receipts: string[];
  receiptAcks: string[];
  refusals: RefusedMessage[];
  /** Messages of every kind, and bytes of chat, in this batch. */
  count: number;
  bytes: number;
}

function emptyBatch(): Batch {
  return {
    chats: [],
    sizes: [],
    acks: [],
    receipts: [],
    receiptAcks: [],
    refusals: [],
    count: 0,
    bytes: 0,
  };
}

/** Takes chat, acknowledgements and receipts off the links. */
export class Inbox {
  readonly #options: InboxOptions;
  readonly #batches = new Map<DirectLink, Batch>();
  /** The previous batch of each link; the next one starts when it is done. */
  readonly #tails = new Map<DirectLink, Promise<void>>();
  /** Each link's next batch while it waits for the previous one; later deliveries join it. */
  readonly #queued = new Map<DirectLink, Batch>();
  /** The batch each queued one waits for: what a link that is held back waits on. */
  readonly #running = new Map<DirectLink, Promise<void>>();
  readonly #work = new Set<Promise<void>>();
  readonly #quota: SenderQuota;

  constructor(options: InboxOptions) {
    this.#options = options;
    this.#quota = new SenderQuota({
      limits: options.limits,
      storedBytesFrom: (peerId) => options.store.storedBytesFrom(peerId),
    });
  }

  /** The per-sender limits in force. */
  get limits(): Readonly<SenderLimits> {
    return this.#quota.limits;
  }

  /** Collects one message from an authenticated link. Never throws. */
  receive(link: DirectLink, message: LinkPayload): void {
    let batch = this.#batches.get(link);
    if (!batch) this.#batches.set(link, batch = emptyBatch());
    batch.count++;
    switch (message.type) {
      case "chat":
      case "file_offer": {
        // A file offer is stored like a chat message, so it counts like one.
        const size = storedBytes(message.type === "chat" ? message.text : offerText(message));
        const refusal = this.#quota.admit(link.peerId, size);
        if (refusal) {
          batch.count--;
          this.#refuse(link, message.id, refusal);
          break;
        }
        batch.chats.push(message);
        batch.sizes.push(size);
        batch.bytes += size;
        break;
      }
      case "ack":
        batch.acks.push(message.id);
        break;
      case "receipt":
        batch.receipts.push(message.id);
        break;
      case "receipt_ack":
        batch.receiptAcks.push(message.id);
        break;
      case "refused":
        batch.refusals.push(message);
        break;
    }
  }

  /**
   * The link has nothing more buffered: handle what it delivered. Returns a
   * promise when the link must not be read until it settles (the batch
   * waiting for the commit in progress is full); it never rejects.
   */
  drained(link: DirectLink): Promise<void> | undefined {
    const batch = this.#batches.get(link);
    if (!batch) return;
    this.#batches.delete(link);
    const queued = this.#queued.get(link);
    if (queued) {
      // The previous batch is still being stored: this one joins the next
      // commit instead of waiting for one of its own.
      queued.chats.push(...batch.chats);
      queued.sizes.push(...batch.sizes);
      queued.acks.push(...batch.acks);
      queued.receipts.push(...batch.receipts);
      queued.receiptAcks.push(...batch.receiptAcks);
      queued.refusals.push(...batch.refusals);
      queued.count += batch.count;
      queued.bytes += batch.bytes;
      if (queued.count < MAX_QUEUED_MESSAGES && queued.bytes < MAX_QUEUED_BYTES) return;
      return this.#running.get(link);
    }
    this.#queued.set(link, batch);
    const previous = this.#tails.get(link) ?? Promise.resolve();
    this.#running.set(link, previous.then(() => {}, () => {}));
    const current = previous.then(() => {
      this.#queued.delete(link);
      return this.#handle(link, batch);
    });
    this.#tails.set(link, current);
    const tracked = current.catch((error) => this.#report(error)).finally(() => {
      this.#work.delete(tracked);
      if (this.#tails.get(link) === current) {
        this.#tails.delete(link);
        this.#running.delete(link);
      }
    });
    this.#work.add(tracked);
  }

  /** Resolves when everything received so far is stored and answered. */
  async settled(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled(this.#work);
  }

  async #handle(link: DirectLink, batch: Batch): Promise<void> {
    const { courier } = this.#options;
    if (batch.chats.length > 0) await this.#store(link, batch.chats, batch.sizes);
    if (batch.acks.length > 0) courier.acknowledged(link.peerId, batch.acks);
    if (batch.receipts.length > 0) {
      await courier.readByRecipient(link.peerId, batch.receipts);
      // Answered only once recorded, so a receipt lost on the way is resent.
      for (const id of batch.receipts) link.send({ type: "receipt_ack", id });
    }
    if (batch.receiptAcks.length > 0) {
      await courier.receiptsRecorded(link.peerId, batch.receiptAcks);
    }
    if (batch.refusals.length > 0) courier.refused(link.peerId, batch.refusals);
  }

  /** Answers a chat this peer will not keep; the sender decides what to do with it. */
  #refuse(link: DirectLink, id: string, refusal: Refusal): void {
    link.send({ type: "refused", id, reason: refusal.reason, retryAfterMs: refusal.retryAfterMs });
    if (!refusal.first) return;
    this.#options.logger.warn("refusing messages over the sender's quota", {
      peer: shortId(link.peerId),
      reason: refusal.reason,
      retryAfterMs: refusal.retryAfterMs,
    });
  }

  async #store(
    link: DirectLink,
    received: (ChatMessage | FileOfferMessage)[],
    receivedSizes: number[],
  ): Promise<void> {
    const rooms = await this.#options.rooms?.admit(link.peerId, received);
    const chats: (ChatMessage | FileOfferMessage)[] = [];
    const sizes: number[] = [];
    const roomOf = new Map<ChatMessage | FileOfferMessage, { id: string; name: string }>();
    for (const [index, chat] of received.entries()) {
      const room = rooms?.[index];
      // A refused room message is acknowledged all the same: sending it again cannot help.
      if (room === null) link.send({ type: "ack", id: chat.id });
      else {
        chats.push(chat);
        sizes.push(receivedSizes[index]);
      }
      if (room) roomOf.set(chat, room);
    }
    if (chats.length === 0) return;
    let fits: boolean[];
    try {
      fits = await this.#quota.reserve(link.peerId, sizes);
    } catch (error) {
      this.#notStored(chats.length, error);
      return;
    }
    const over = chats.filter((_, index) => !fits[index]);
    if (this.#quota.firstTimeFull(link.peerId, over.length > 0)) {
      this.#options.logger.warn("refusing messages: the sender's stored bytes reached the cap", {
        peer: shortId(link.peerId),
        maxStoredBytes: this.#quota.limits.maxStoredBytes,
      });
    }
    if (over.length > 0) await this.#refuseOverCap(link, over);
    const kept = chats.filter((_, index) => fits[index]);
    const keptSizes = sizes.filter((_, index) => fits[index]);
    if (kept.length === 0) {
      this.#quota.settle(link.peerId, [], []);
      return;
    }
    const messages: StoredMessage[] = kept.map((chat) => ({
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
      this.#quota.settle(link.peerId, keptSizes, []);
      this.#notStored(messages.length, error);
      return;
    }
    this.#quota.settle(link.peerId, keptSizes, isNew);
    const from = this.#options.directory.lastKnown(link.peerId) ??
      { id: link.peerId, name: shortId(link.peerId), address: "" };
    for (const [index, chat] of kept.entries()) {
      if (isNew[index] && chat.type === "file_offer") await this.#options.offered?.(from, chat);
    }
    // Duplicates are acknowledged too: the sender missed our earlier ack.
    for (const message of messages) link.send({ type: "ack", id: message.id });
    const unverified = !(this.#options.vouchesFor?.(from) ?? true);
    for (const [index, message] of messages.entries()) {
      if (!isNew[index] || kept[index].type === "file_offer") continue;
      const room = roomOf.get(kept[index]);
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

  /**
   * Answers chats that do not fit under the sender's cap: `refused
   * store_full`, but an ack for a copy the store already holds (the sender
   * missed our ack). If the store cannot say, nothing is answered: the
   * sender sends them again later.
   */
  async #refuseOverCap(link: DirectLink, over: (ChatMessage | FileOfferMessage)[]): Promise<void> {
    let held: Set<string>;
    try {
      held = await this.#options.store.heldFrom(link.peerId, over.map((chat) => chat.id));
    } catch (error) {
      this.#notStored(over.length, error);
      return;
    }
    for (const chat of over) {
      if (held.has(chat.id)) link.send({ type: "ack", id: chat.id });
      else link.send({ type: "refused", id: chat.id, reason: "store_full" });
    }
  }

  /** Not stored, so not acknowledged: the sender will send them again. */
  #notStored(count: number, error: unknown): void {
    this.#options.emit({
      event: "error",
      message: `${count} incoming message(s) could not be stored and were not acknowledged: ${
        (error as Error).message
      }`,
    });
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
