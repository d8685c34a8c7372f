/**
 * Reads Deno KV keys as Deno KV's SQLite backend stores them (the `k`
 * column of its `kv` table): the FoundationDB tuple encoding, one tagged
 * part after another. Used only to import an earlier version's store, whose
 * keys hold strings; numbers, booleans and bytes are read too, big integers
 * are refused by name.
 */

/** One decoded key part. */
export type KvKeyPart = string | number | boolean | Uint8Array;

const BYTES = 0x01;
const STRING = 0x02;
const DOUBLE = 0x21;
const FALSE = 0x26;
const TRUE = 0x27;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes an encoded key; throws `TypeError` on bytes that are not one. */
export function decodeKvKey(bytes: Uint8Array): KvKeyPart[] {
  const parts: KvKeyPart[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at++];
    if (tag === BYTES || tag === STRING) {
      const [raw, next] = escapedBytes(bytes, at);
      parts.push(tag === STRING ? utf8.decode(raw) : raw);
      at = next;
    } else if (tag === DOUBLE) {
      if (at + 8 > bytes.length) throw new TypeError(`Deno KV key ends inside a number`);
      const raw = bytes.slice(at, at + 8);
      // Stored order-preserving: negatives have every bit flipped, others only the sign.
      if (raw[0] & 0x80) raw[0] ^= 0x80;
      else for (let i = 0; i < 8; i++) raw[i] ^= 0xff;
      parts.push(new DataView(raw.buffer).getFloat64(0));
      at += 8;
    } else if (tag === FALSE || tag === TRUE) {
      parts.push(tag === TRUE);
    } else {
      const kind = tag >= 0x0b && tag <= 0x1d ? " (a big integer)" : "";
      throw new TypeError(
        `Deno KV key part of type 0x${tag.toString(16)}${kind} at byte ${at - 1} is not supported`,
      );
    }
  }
  return parts;
}

/** Bytes up to the terminating 0x00, where 0x00 0xFF stands for a literal 0x00. */
function escapedBytes(bytes: Uint8Array, start: number): [Uint8Array, number] {
  const out: number[] = [];
  let at = start;
  while (at < bytes.length) {
    const byte = bytes[at++];
    if (byte !== 0x00) {
      out.push(byte);
    } else if (bytes[at] === 0xff) {
      out.push(0x00);
      at++;
    } else {
      return [Uint8Array.from(out), at];
    }
  }
  throw new TypeError(`Deno KV key part starting at byte ${start - 1} is not terminated`);
}
