/**
 * Peer identity as both roles see it: an Ed25519 public key, and the peer ID
 * derived from it. Nobody can hold an ID without holding its private key,
 * because the ID is a hash of the public key that signs for it.
 */

const BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** Matches a peer ID: lowercase base32 of a SHA-256 digest, 52 characters. */
export const PEER_ID_PATTERN = /^[a-z2-7]{52}$/;

/** Characters of an ID shown to people; enough to tell peers apart at a glance. */
export const SHORT_ID_LENGTH = 8;

/** Byte length of a raw Ed25519 public key and of a signature. */
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** The ID of the peer that holds `publicKey` (raw 32 bytes). */
export async function peerIdFromPublicKey(publicKey: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", publicKey as Uint8Array<ArrayBuffer>),
  );
  return base32(digest);
}

/** The first characters of an ID, for tables and status lines. */
export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

/** RFC 4648 base32, lowercase, without padding. */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Checks an Ed25519 signature; a malformed key or signature is simply `false`. */
export async function verifySignature(
  publicKey: Uint8Array,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    const key = await crypto.subtle.importKey(
      "raw",
      publicKey as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    return await crypto.subtle.verify(
      "Ed25519",
      key,
      signature as Uint8Array<ArrayBuffer>,
      data as Uint8Array<ArrayBuffer>,
    );
  } catch (error) {
    if (error instanceof DOMException) return false;
    throw error;
  }
}

/**
 * The bytes a signature covers: a label naming the purpose, then each part
 * with its length, so no two different inputs produce the same bytes and a
 * signature made for one purpose is useless for another.
 */
export function signedTranscript(label: string, ...parts: (string | Uint8Array)[]): Uint8Array {
  const encoder = new TextEncoder();
  const chunks = [label, ...parts].map((part) =>
    typeof part === "string" ? encoder.encode(part) : part
  );
  const total = chunks.reduce((sum, chunk) => sum + 4 + chunk.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const chunk of chunks) {
    view.setUint32(offset, chunk.length);
    out.set(chunk, offset + 4);
    offset += 4 + chunk.length;
  }
  return out;
}
