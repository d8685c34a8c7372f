/**
 * Delivers what this peer owes others: stored outgoing messages until each is
 * acknowledged, and read receipts until each is acknowledged. One mailbox per
 * recipient keeps its messages in order; everything unacknowledged is sent
 * again, in order, whenever a link to that peer comes up. A recipient that
 * refuses messages over this sender's rate is left alone until the time it
 * names, then sent them again; one whose store is full for this sender gets
 * that message failed, with the reason.
 */

import {
  type ChatMessage,
  type PeerInfo,
  type RefusedMessage,
  type RoomMembership,
  shortId,
} from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import {
  backoffDelay,
  type BackoffOptions,
  type DirectLink,
  LinkError,
  type LinkPool,
} from "../link/mod.ts";
import type { MessageStore, StoredMessage } from "../store/mod.ts";
import type { DeliveryEvent, PeerLookup } from "./delivery_events.ts";
import { storedOffer } from "./stored_offer.ts";

/** Options for {@linkcode Courier}. */
export interface CourierOptions {
  links: LinkPool;
  directory: PeerLookup;
  store: MessageStore;
  emit: (event: DeliveryEvent) => void;
  logger: Logger;
  /**
   * A link whose oldest unacknowledged message waits longer than this is
   * presumed dead: it is closed and everything is resent on a new one. Default 10 s.
   */
  ackTimeoutMs?: number;
  /** Waits between attempts to reach a recipient that is listed but unreachable. */
  retry?: BackoffOptions;
  /**
   * False for a peer whose name is pinned to another key: nothing is
   * delivered to it until the user trusts the new key.
   */
  isTrusted?: (peerId: string) => boolean;
  /** The membership a room message travels with (`undefined` for any other message). */
  roomOf?: (message: StoredMessage) => RoomMembership | undefined;
}

/** Everything owed to one peer. */
interface Mailbox {
  peerId: string;
  /** Unacknowledged outgoing messages by ID, oldest first (in flight or not). */
  queue: Map<string, StoredMessage>;
  /** The link the messages in flight were written to. */
  link: DirectLink | undefined;
  /**
   * Queued messages not yet written to `link`, oldest first (entries settled
   * meanwhile are skipped). Kept so a flush costs what is new, not the queue.
   */
  unsent: StoredMessage[];
  /** Message ID → the link it was last written to, and when. */
  inFlight: Map<string, { link: DirectLink; at: number }>;
  /** Read receipts to deliver; ID → link it was last written to, if any. */
  receipts: Map<string, DirectLink | undefined>;
  /** Messages the user was told are pending (said once). */
  announced: Set<string>;
  /** Messages the user was told the recipient refused for now (said once). */
  refused: Set<string>;
  /** The recipient refused messages over our rate: no chat goes to it before then. */
  pausedUntil: number;
  attempt: number;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * An address where something other than this peer answered. It is not
   * dialled again until the registry publishes a different one.
   */
  impostorAddress: string | undefined;
  flushing: boolean;
  flushAgain: boolean;
}

/** How long to hold back after a rate refusal that names no time. */
const DEFAULT_RETRY_AFTER_MS = 6000;

/** Sends and resends until acknowledged. */
export class Courier {
  readonly #options: CourierOptions;
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #watchdog: ReturnType<typeof setInterval>;
  readonly #flushes = new Set<Promise<void>>();
  #closed = false;

  constructor(options: CourierOptions) {
    this.#options = options;
    const ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.#watchdog = setInterval(() => this.#closeStalledLinks(), Math.max(50, ackTimeoutMs / 4));
  }

  /** Loads what earlier runs left undelivered. Flushing starts as recipients appear. */
  async restore(): Promise<void> {
    const { store } = this.#options;
    for (const message of await store.outbox()) {
      this.#mailbox(message.peerId).queue.set(message.id, message);
    }
    for (const peerId of await store.peersWithPendingReceipts()) {
      for (const id of await store.pendingReceipts(peerId)) {
        this.#mailbox(peerId).receipts.set(id, undefined);
      }
    }
    for (const mailbox of this.#mailboxes.values()) this.#flushSoon(mailbox, 0);
  }

  /** Queues stored messages (already committed, status `pending`). */
  enqueue(messages: StoredMessage[]): void {
    if (messages.length === 1) {
      // One send (the common case, a burst of them one by one): no set of mailboxes.
      const [message] = messages;
      const mailbox = this.#mailbox(message.peerId);
      mailbox.queue.set(message.id, message);
      mailbox.unsent.push(message);
      this.#flush(mailbox);
      return;
    }
    const touched = new Set<Mailbox>();
    for (const message of messages) {
      const mailbox = this.#mailbox(message.peerId);
      mailbox.queue.set(message.id, message);
      mailbox.unsent.push(message);
      touched.add(mailbox);
    }
    for (const mailbox of touched) this.#flush(mailbox);
  }

  /** Queues a read receipt for `peerId`'s message `id`. */
  enqueueReceipt(peerId: string, id: string): void {
    const mailbox = this.#mailbox(peerId);
    mailbox.receipts.set(id, undefined);
    this.#flush(mailbox);
  }

  /** Outgoing messages not yet acknowledged, per recipient, oldest first. */
  pending(): StoredMessage[] {
    return [...this.#mailboxes.values()].flatMap((m) => [...m.queue.values()]);
  }

  /** Drops a not yet delivered message from its queue (the store marks it failed). */
  withdraw(peerId: string, id: string): void {
    const mailbox = this.#mailboxes.get(peerId);
    if (!mailbox) return;
    mailbox.queue.delete(id);
    mailbox.inFlight.delete(id);
  }

  /**
   * The recipient stored these messages. `delivered` is reported at once —
   * the promise is about the recipient's store, which already holds them —
   * and our own record is updated in the background. Should that update be
   * lost, the message is sent again after a restart; the recipient drops the
   * copy and acknowledges again.
   */
  acknowledged(peerId: string, ids: string[]): void {
    const mailbox = this.#mailboxes.get(peerId);
    if (!mailbox) return;
    const delivered: StoredMessage[] = [];
    for (const id of ids) {
      const message = mailbox.queue.get(id);
      if (message) delivered.push(message);
    }
    if (delivered.length === 0) return; // late duplicates of acks already handled
    this.#settle(mailbox, ids);
    const to = this.#peer(peerId);
    for (const message of delivered) this.#options.emit({ event: "delivered", id: message.id, to });
    this.#background(this.#options.store.markDelivered(delivered));
  }

  /** The recipient's user has seen these messages. */
  async readByRecipient(peerId: string, ids: string[]): Promise<void> {
    const mailbox = this.#mailboxes.get(peerId);
    if (mailbox) this.#settle(mailbox, ids);
    const read = await this.#options.store.advanceOutgoing(peerId, ids, "read");
    const to = this.#peer(peerId);
    for (const message of read) this.#options.emit({ event: "read", id: message.id, to });
  }

  /** Tracks store work that nothing waits for, reporting its failure. */
  #background(task: Promise<unknown>): void {
    const tracked = task.then(() => {}, (error) => {
      this.#options.logger.error("could not record a delivery", { error: String(error) });
      this.#options.emit({ event: "error", message: (error as Error).message });
    }).finally(() => this.#flushes.delete(tracked));
    this.#flushes.add(tracked);
  }

  /**
   * The recipient would not keep these messages. Over our rate: they wait in
   * the outbox and go again, in order, once the time it named has passed.
   * Its store full for us: the message fails (the store marks it), with the
   * reason, since sending it again cannot help.
   */
  refused(peerId: string, refusals: RefusedMessage[]): void {
    const mailbox = this.#mailboxes.get(peerId);
    if (!mailbox) return;
    const to = this.#peer(peerId);
    const now = Date.now();
    const full: StoredMessage[] = [];
    for (const refusal of refusals) {
      const message = mailbox.queue.get(refusal.id);
      if (!message) continue; // acknowledged or cancelled meanwhile
      mailbox.inFlight.delete(refusal.id);
      if (refusal.reason === "store_full") {
        full.push(message);
        continue;
      }
      const retryInMs = refusal.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
      mailbox.pausedUntil = Math.max(mailbox.pausedUntil, now + retryInMs);
      if (mailbox.refused.has(message.id)) continue;
      mailbox.refused.add(message.id);
      this.#options.emit({
        event: "refused",
        id: message.id,
        to,
        reason: refusal.reason,
        retryInMs,
      });
    }
    if (full.length > 0) {
      this.#settle(mailbox, full.map((message) => message.id));
      const reason = `${to.name}'s store is full for you: it keeps no more from one sender`;
      for (const message of full) {
        this.#options.emit({ event: "failed", id: message.id, to, reason });
      }
      this.#background(
        Promise.all(full.map((message) => this.#options.store.cancel(peerId, message.id))),
      );
    }
    if (mailbox.pausedUntil > now) {
      // What was refused goes again, oldest first, with whatever was not written yet.
      mailbox.unsent = [...mailbox.queue.values()].filter((m) => !mailbox.inFlight.has(m.id));
      this.#flushSoon(mailbox, mailbox.pausedUntil - now);
    }
  }

  /** Our receipts up to these IDs were recorded by `peerId`. */
  async receiptsRecorded(peerId: string, ids: string[]): Promise<void> {
    const mailbox = this.#mailboxes.get(peerId);
    for (const id of ids) mailbox?.receipts.delete(id);
    await this.#options.store.receiptsAcknowledged(peerId, ids);
  }

  /** A link to `peerId` opened (either direction): send what is owed. */
  linkOpened(link: DirectLink): void {
    const mailbox = this.#mailboxes.get(link.peerId);
    if (mailbox) {
      mailbox.attempt = 0;
      this.#flush(mailbox);
    }
  }

  /** A link closed: what was in flight on it must go again. */
  linkClosed(link: DirectLink): void {
    const mailbox = this.#mailboxes.get(link.peerId);
    if (!mailbox) return;
    for (const [id, flight] of mailbox.inFlight) {
      if (flight.link === link) mailbox.inFlight.delete(id);
    }
    if (mailbox.link === link) mailbox.link = undefined;
    for (const [id, via] of mailbox.receipts) if (via === link) mailbox.receipts.set(id, undefined);
    if (hasWork(mailbox)) this.#flushSoon(mailbox, this.#retryDelay(mailbox));
  }

  /** The recipient is (again) in the peer list: try at once. */
  peerAvailable(peerId: string): void {
    const mailbox = this.#mailboxes.get(peerId);
    if (!mailbox || !hasWork(mailbox)) return;
    mailbox.attempt = 0;
    this.#flush(mailbox);
  }

  /** Stops timers and waits for flushes in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watchdog);
    for (const mailbox of this.#mailboxes.values()) clearTimeout(mailbox.retryTimer);
    while (this.#flushes.size > 0) await Promise.allSettled(this.#flushes);
  }

  #mailbox(peerId: string): Mailbox {
    let mailbox = this.#mailboxes.get(peerId);
    if (!mailbox) {
      mailbox = {
        peerId,
        queue: new Map(),
        link: undefined,
        unsent: [],
        inFlight: new Map(),
        receipts: new Map(),
        announced: new Set(),
        refused: new Set(),
        pausedUntil: 0,
        attempt: 0,
        retryTimer: undefined,
        impostorAddress: undefined,
        flushing: false,
        flushAgain: false,
      };
      this.#mailboxes.set(peerId, mailbox);
    }
    return mailbox;
  }

  #settle(mailbox: Mailbox, ids: string[]): void {
    for (const id of ids) {
      mailbox.queue.delete(id);
      mailbox.inFlight.delete(id);
      mailbox.announced.delete(id);
      mailbox.refused.delete(id);
    }
  }

  #flushSoon(mailbox: Mailbox, delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(mailbox.retryTimer);
    mailbox.retryTimer = setTimeout(() => {
      mailbox.retryTimer = undefined;
      this.#flush(mailbox);
    }, delayMs);
  }

  /** Sends what is owed to one peer, if it can be reached. Never overlaps itself. */
  #flush(mailbox: Mailbox): void {
    if (this.#closed) return;
    if (mailbox.flushing) {
      mailbox.flushAgain = true;
      return;
    }
    mailbox.flushing = true;
    const running = this.#deliver(mailbox)
      .catch((error) => {
        this.#options.logger.error("delivery failed", {
          peer: shortId(mailbox.peerId),
          error: String(error),
        });
        this.#options.emit({
          event: "error",
          message: `Delivery to ${this.#peer(mailbox.peerId).name} failed: ${error.message}`,
        });
      })
      .finally(() => {
        mailbox.flushing = false;
        this.#flushes.delete(running);
        if (mailbox.flushAgain) {
          mailbox.flushAgain = false;
          this.#flush(mailbox);
        }
      });
    this.#flushes.add(running);
  }

  async #deliver(mailbox: Mailbox): Promise<void> {
    if (!hasWork(mailbox)) return;
    const listed = this.#options.directory.get(mailbox.peerId);
    let link = this.#options.links.openLink(mailbox.peerId);
    if (!(this.#options.isTrusted?.(mailbox.peerId) ?? true)) {
      // Its name now belongs to a new key: hold everything until /trust.
      this.#announcePending(mailbox, "key changed");
      return;
    }
    if (!link && !listed) {
      // Offline: wait for the registry to list it again (peerAvailable).
      this.#announcePending(mailbox, "offline");
      return;
    }
    if (!link && listed!.address === mailbox.impostorAddress) {
      this.#announcePending(mailbox, "impostor at the published address");
      return;
    }
    if (!link) {
      try {
        link = await this.#options.links.linkTo(listed!);
      } catch (error) {
        if (!(error instanceof LinkError)) throw error;
        this.#announcePending(mailbox, error.message);
        if (error.impostor) {
          // Never retried silently against whoever answered: say so, and
          // wait for the registry to publish another address.
          mailbox.impostorAddress = listed!.address;
          this.#options.emit({
            event: "error",
            message: `Not delivering to ${listed!.name}: ${error.message}. ` +
              `The messages stay pending until ${listed!.name} is reachable at another address.`,
          });
          return;
        }
        this.#flushSoon(mailbox, this.#retryDelay(mailbox));
        return;
      }
    }
    mailbox.impostorAddress = undefined;
    mailbox.attempt = 0;
    const now = Date.now();
    const firstSends: StoredMessage[] = [];
    if (link !== mailbox.link) {
      // A new link: everything unacknowledged goes again, oldest first.
      mailbox.link = link;
      mailbox.unsent = [...mailbox.queue.values()];
    }
    const pausedMs = mailbox.pausedUntil - now;
    // Over the recipient's rate: chats wait (in `unsent`) until it said to come back.
    const unsent = pausedMs > 0 ? [] : mailbox.unsent;
    if (pausedMs > 0) this.#flushSoon(mailbox, pausedMs);
    else mailbox.unsent = [];
    // One record for everything this flush writes (not an object per message).
    const flight = { link, at: now };
    for (const message of unsent) {
      if (mailbox.queue.get(message.id) !== message) continue; // settled or withdrawn meanwhile
      const offer = storedOffer(message.text);
      if (offer) {
        link.send(offer);
      } else {
        const chat: ChatMessage = {
          type: "chat",
          id: message.id,
          text: message.text,
          sentAt: message.sentAt,
          broadcast: message.broadcast,
        };
        const room = this.#options.roomOf?.(message);
        if (room) chat.room = room;
        link.send(chat);
      }
      mailbox.inFlight.set(message.id, flight);
      if (message.status === "pending") firstSends.push(message);
    }
    for (const [id, via] of mailbox.receipts) {
      if (via === link) continue;
      link.send({ type: "receipt", id });
      mailbox.receipts.set(id, link);
    }
    if (firstSends.length === 0) return;
    // "sent" is news for the user, not a state worth a disk write: until the
    // ack, the store keeps the message pending and it is resent if need be.
    const to = this.#peer(mailbox.peerId);
    for (const message of firstSends) {
      message.status = "sent";
      this.#options.emit({ event: "sent", id: message.id, to });
    }
  }

  /** Tells the user, once per message, that it waits in the outbox. */
  #announcePending(mailbox: Mailbox, reason: string): void {
    const to = this.#peer(mailbox.peerId);
    for (const message of mailbox.queue.values()) {
      if (mailbox.announced.has(message.id)) continue;
      mailbox.announced.add(message.id);
      this.#options.emit({ event: "pending", id: message.id, to });
    }
    this.#options.logger.debug("recipient unreachable", { peer: shortId(mailbox.peerId), reason });
  }

  #retryDelay(mailbox: Mailbox): number {
    return backoffDelay(
      mailbox.attempt++,
      this.#options.retry ?? { initialMs: 500, maxMs: 15_000 },
    );
  }

  #closeStalledLinks(): void {
    const limit = Date.now() - (this.#options.ackTimeoutMs ?? 10_000);
    for (const mailbox of this.#mailboxes.values()) {
      for (const { link, at } of mailbox.inFlight.values()) {
        if (at < limit && !link.closed) {
          this.#options.logger.warn("no acknowledgement; reconnecting", {
            peer: shortId(mailbox.peerId),
          });
          link.close();
          break;
        }
      }
    }
  }

  #peer(peerId: string): PeerInfo {
    return this.#options.directory.lastKnown(peerId) ??
      { id: peerId, name: shortId(peerId), address: "" };
  }
}

function hasWork(mailbox: Mailbox): boolean {
  return mailbox.queue.size > 0 || mailbox.receipts.size > 0;
}
