/**
 * Delivery with nothing lost or doubled, over links from `link/` and the
 * store from `store/`: the {@linkcode Courier} delivers stored outgoing
 * messages and read receipts until each is acknowledged; the {@linkcode Inbox}
 * stores what arrives (one group commit per batch), then acknowledges it,
 * then reports it once; the {@linkcode Messenger} is what a user does with
 * messages (send, broadcast, mark read, cancel, history). Each sender's
 * quota ({@linkcode SenderLimits}) bounds what it can make this peer keep.
 *
 * @module
 */

export { Courier, type CourierOptions } from "./courier.ts";
export { Inbox, type InboxOptions } from "./inbox.ts";
export { Messenger, type MessengerOptions } from "./messenger.ts";
export { DEFAULT_SENDER_LIMITS, type SenderLimits } from "./sender_quota.ts";
export type { DeliveryEvent, HistoryEntry, PeerLookup, RoomGate } from "./delivery_events.ts";
export { formatBytes, offerSummary, offerText, storedOffer } from "./stored_offer.ts";
