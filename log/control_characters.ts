/**
 * Text from other people — chat, names, remote error messages — must never
 * reach a terminal as control sequences: `ESC [2K CR` erases the line and
 * fakes another sender, `ESC ] 0; … BEL` retitles the window, and
 * right-to-left overrides reorder what is read. These helpers make such
 * characters visible instead of letting the terminal obey them.
 */

// C0 controls and DEL, C1 controls, and the bidirectional embeddings,
// overrides and isolates (the "Trojan Source" characters).
const CONTROLS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;
const CONTROLS_BUT_NEWLINE = /(?!\n)[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` with every control character shown instead of obeyed: C0 as its
 * Unicode control picture (`ESC` → `␛`, `CR` → `␍`), DEL as `␡`, C1 and
 * bidirectional controls as `<U+009B>`. With `keepNewlines`, `\n` stays a
 * line break (the caller indents what follows it).
 *
 * @example
 * ```ts
 * visibleControls("\u001b[2K\rcarol: hi"); // "␛[2K␍carol: hi"
 * ```
 */
export function visibleControls(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(options.keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS, picture);
}

/**
 * `text` with every control character as a `\uXXXX` escape: for log lines,
 * whose readers expect escapes (and where JSON.stringify leaves C1 and bidi
 * controls as they are).
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function picture(character: string): string {
  const code = character.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
}
