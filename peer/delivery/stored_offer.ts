/**
 * A file offer kept in the message store. An offer is a stored message like
 * chat — it waits in the outbox, survives restarts and is acknowledged once
 * stored — so it is one row of the messages table whose text is the offer
 * itself behind a mark no chat text can carry (the {@linkcode Inbox} defuses
 * a chat text that starts with it). What a person sees of it is
 * {@linkcode offerSummary}.
 */

import type { FileOfferMessage } from "../../protocol/mod.ts";

/** Starts the text of a stored offer; a NUL never starts a real chat line. */
export const OFFER_MARK = "\u0000file_offer ";

/** The store's text for an offer. */
export function offerText(offer: FileOfferMessage): string {
  return OFFER_MARK + JSON.stringify(offer);
}

/** The offer a stored text holds, or `undefined` for a chat text. */
export function storedOffer(text: string): FileOfferMessage | undefined {
  if (!text.startsWith(OFFER_MARK)) return undefined;
  try {
    return JSON.parse(text.slice(OFFER_MARK.length)) as FileOfferMessage;
  } catch {
    return undefined;
  }
}

/** What a person sees of a stored text: the text, or `📎 NAME (SIZE)` for an offer. */
export function offerSummary(text: string): string {
  const offer = storedOffer(text);
  return offer ? `📎 ${offer.name} (${formatBytes(offer.size)})` : text;
}

/** `1.5 MiB`, `300 KiB`, `12 B`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
