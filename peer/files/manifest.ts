/**
 * The manifest of a file to offer: its name, size and time, and the SHA-256
 * of each chunk and of the whole file, computed in one read.
 */

import { createHash } from "node:crypto";
import { basename } from "node:path";

/** Chunk size of offers made here (the protocol allows 256 KiB–1 MiB). */
export const CHUNK_BYTES = 512 * 1024;

/** What an offer says about a file, plus what the sender re-checks before each chunk. */
export interface Manifest {
  name: string;
  size: number;
  /** Modification time when hashed; a chunk is only sent while it is unchanged. */
  mtimeMs: number;
  chunkSize: number;
  /** Whole-file SHA-256, lowercase hex. */
  sha256: string;
  /** Each chunk's SHA-256 digest, concatenated. */
  chunks: Uint8Array;
}

/** Reads `path` once and hashes it. Throws `Deno.errors.*` for a file that cannot be read. */
export async function buildManifest(path: string, chunkSize = CHUNK_BYTES): Promise<Manifest> {
  using file = await Deno.open(path, { read: true });
  const info = await file.stat();
  if (!info.isFile) throw new TypeError(`${path} is not a regular file`);
  const count = Math.ceil(info.size / chunkSize);
  const chunks = new Uint8Array(count * 32);
  const whole = createHash("sha256");
  const buffer = new Uint8Array(chunkSize);
  for (let index = 0; index < count; index++) {
    const length = Math.min(chunkSize, info.size - index * chunkSize);
    const chunk = buffer.subarray(0, length);
    await readFully(file, chunk);
    whole.update(chunk);
    chunks.set(createHash("sha256").update(chunk).digest(), index * 32);
  }
  return {
    name: basename(path),
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    chunkSize,
    sha256: whole.digest("hex"),
    chunks,
  };
}

/** Fills `into` from the file's current position; throws if the file ends first. */
export async function readFully(file: Deno.FsFile, into: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < into.length) {
    const count = await file.read(into.subarray(offset));
    if (count === null) throw new Deno.errors.UnexpectedEof("the file is shorter than expected");
    offset += count;
  }
}

/** {@linkcode readFully}, synchronously (for the hot path; see `chunk_server.ts`). */
export function readFullySync(file: Deno.FsFile, into: Uint8Array): void {
  let offset = 0;
  while (offset < into.length) {
    const count = file.readSync(into.subarray(offset));
    if (count === null) throw new Deno.errors.UnexpectedEof("the file is shorter than expected");
    offset += count;
  }
}

/** Writes all of `bytes` at the file's current position (see `download.ts`). */
export async function writeFully(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

/** True when `data`'s SHA-256 is the `index`th digest of `digests`. */
export function chunkMatches(digests: Uint8Array, index: number, data: Uint8Array): boolean {
  const digest = createHash("sha256").update(data).digest();
  const expected = digests.subarray(index * 32, index * 32 + 32);
  if (expected.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (digest[i] !== expected[i]) return false;
  return true;
}
