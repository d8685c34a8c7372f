/**
 * How chat text is laid out on the terminal: a message under its sender
 * (continuation lines indented to where the text starts), the first words
 * that name a message in a receipt line, and the time of day.
 */

/**
 * `prefix` then `text`, every line after the first indented by the visible
 * width of `prefix`, so a multi-line message stays under its sender.
 * `prefixWidth` is the width of `prefix` without colour codes.
 */
export function underSender(prefix: string, prefixWidth: number, text: string): string {
  const [first, ...rest] = text.split(/\r?\n/);
  const indent = " ".repeat(prefixWidth);
  return [prefix + first, ...rest.map((line) => indent + line)].join("\n");
}

/** Most characters of a message shown to name it in a receipt line. */
const PREVIEW_CHARS = 32;

/** A message's first words, quoted: `"see you tomorrow"`, `"the build is green an…"`. */
export function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= PREVIEW_CHARS) return JSON.stringify(flat);
  const cut = flat.slice(0, PREVIEW_CHARS);
  const space = cut.lastIndexOf(" ");
  return JSON.stringify((space >= PREVIEW_CHARS / 2 ? cut.slice(0, space) : cut) + "…");
}

/** `HH:MM` in local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}
