/**
 * Peer names: what people type after `/msg`. They are shown to humans, so two
 * names that look the same must be the same name, and a name may not mix
 * scripts (see name_scripts.ts) the way look-alikes do.
 */

import { mixedScripts } from "./name_scripts.ts";

/** Longest name, in characters (code points). */
export const MAX_NAME_LENGTH = 32;

// Letters, digits and combining marks (needed by many scripts), plus _ - .
const NAME_CHARACTERS = /^[\p{L}\p{N}_.\-][\p{L}\p{M}\p{N}_.\-]*$/u;

/** Says what a valid name is; used in every error about one. */
export const NAME_RULE =
  `1–${MAX_NAME_LENGTH} letters of one script, digits, "_", "-" or "." (not "." or "..")`;

/**
 * Returns why `name` is not a valid peer name, or `null` when it is.
 * Expects the name already in NFC (see {@linkcode normalizeName}).
 */
export function nameProblem(name: string): string | null {
  const length = [...name].length;
  if (length === 0) return `Name is empty; use ${NAME_RULE}`;
  if (length > MAX_NAME_LENGTH) {
    return `Name is ${length} characters long; use ${NAME_RULE}`;
  }
  // "." and ".." would escape the per-name data directory.
  if (name === "." || name === ".." || !NAME_CHARACTERS.test(name)) {
    return `Name ${JSON.stringify(name)} is not allowed; use ${NAME_RULE}`;
  }
  const scripts = mixedScripts(name);
  if (scripts) {
    return `Name ${JSON.stringify(name)} mixes ${scripts.join(" and ")} letters, ` +
      `as look-alikes of other names do; use letters of one script`;
  }
  return null;
}

/** The canonical spelling of a name: Unicode NFC. */
export function normalizeName(name: string): string {
  return name.normalize("NFC");
}

/**
 * The key under which names compare: compatibility-folded and lower-cased, so
 * `Alice`, `alice` and `ａｌｉｃｅ` cannot be three different people.
 */
export function nameKey(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}
