/**
 * Receives what other peers send over direct links. Chat messages are stored
 * first and acknowledged after: everything that arrived together is
 * committed in one transaction (group commit), then acknowledged, then shown
 * — each message once, however often it arrives. Acknowledgements and
 * receipts for our own messages are batched the same way.
 */

import { type ChatMessage, shortId } from "../protocol/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Courier } from "./courier.ts";
import type { DirectLink } from "./direct_link.ts";
import type { PeerEvent } from "./events.ts";
import type { LinkPayload } from "./link_pool.ts";
import type { MessageStore, StoredMessage } from "./message_store.ts";
import type { PeerDirectory } from "./peer_directory.ts";
import { TickBatcher } from "./tick_batcher.ts";

/** Options for {@linkcode Inbox}. */
export interface InboxOptions {
  store: MessageStore;
  courier: Courier;
  directory: PeerDirectory;
  emit: (event: PeerEvent) => void;
  logger: Logger;
}

/** Takes chat, acknowledgements and receipts off the links. */
export class Inbox {
  readonly #options: InboxOptions;
  readonly #chats: TickBatcher<DirectLink, ChatMessage>;
  readonly #acks: TickBatcher<string, string>;
  readonly #receipts: TickBatcher<DirectLink, string>;
  readonly #receiptAcks: TickBatcher<string, string>;

  constructor(options: InboxOptions) {
    this.#options = options;
    const onError = (error: unknown) => this.#report(error);
    const { courier } = options;
    this.#chats = new TickBatcher((link, chats) => this.#store(link, chats), onError);
    this.#acks = new TickBatcher((peerId, ids) => courier.acknowledged(peerId, ids), onError);
    this.#receipts = new TickBatcher(async (link, ids) => {
      await courier.readByRecipient(link.peerId, ids);
      // Answered only once recorded, so a receipt lost on the way is resent.
      for (const id of ids) link.send({ type: "receipt_ack", id });
    }, onError);
    this.#receiptAcks = new TickBatcher(
      (peerId, ids) => courier.receiptsRecorded(peerId, ids),
      onError,
    );
  }

  /** Handles one message from an authenticated link. Never throws. */
  receive(link: DirectLink, message: LinkPayload): void {
    switch (message.type) {
      case "chat":
        return this.#chats.push(link, message);
      case "ack":
        return this.#acks.push(link.peerId, message.id);
      case "receipt":
        return this.#receipts.push(link, message.id);
      case "receipt_ack":
        return this.#receiptAcks.push(link.peerId, message.id);
    }
  }

  /** Resolves when everything received so far is stored and answered. */
  async settled(): Promise<void> {
    await Promise.all([
      this.#chats.settled(),
      this.#acks.settled(),
      this.#receipts.settled(),
      this.#receiptAcks.settled(),
    ]);
  }

  async #store(link: DirectLink, chats: ChatMessage[]): Promise<void> {
    const messages: StoredMessage[] = chats.map((chat) => ({
      id: chat.id,
      peerId: link.peerId,
      direction: "in",
      text: chat.text,
      sentAt: chat.sentAt,
      broadcast: chat.broadcast,
      status: "delivered",
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
    // Duplicates are acknowledged too: the sender missed our earlier ack.
    for (const message of messages) link.send({ type: "ack", id: message.id });
    const from = this.#options.directory.lastKnown(link.peerId) ??
      { id: link.peerId, name: shortId(link.peerId), address: "" };
    for (const [index, message] of messages.entries()) {
      if (!isNew[index]) continue;
      this.#options.emit({
        event: "message",
        id: message.id,
        from,
        text: message.text,
        sentAt: message.sentAt,
        broadcast: message.broadcast,
      });
    }
  }

  #report(error: unknown): void {
    this.#options.logger.error("inbox failure", { error: String(error) });
    this.#options.emit({ event: "error", message: (error as Error)?.message ?? String(error) });
  }
}
