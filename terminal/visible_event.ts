/**
 * Makes an event safe to print: every string in it (names, chat text, error
 * messages from other peers, addresses) with its control characters shown,
 * not obeyed. Chat text keeps its line breaks — the renderer indents them —
 * and nothing else may break a line.
 */

import { visibleControls } from "../log/mod.ts";
import type { PeerEvent } from "../peer/mod.ts";

/** A copy of `event` whose strings hold no control characters but `\n` in chat text. */
export function visibleEvent(event: PeerEvent): PeerEvent {
  return visibleValue(event, "") as PeerEvent;
}

function visibleValue(value: unknown, key: string): unknown {
  if (typeof value === "string") {
    return visibleControls(value, { keepNewlines: key === "text" });
  }
  if (Array.isArray(value)) return value.map((item) => visibleValue(item, key));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([field, item]) => [field, visibleValue(item, field)]),
    );
  }
  return value;
}
