/** Files for transfer tests: random contents with their SHA-256, and hashing what arrived. */

import { createHash } from "node:crypto";

/** Writes `size` random bytes to `path`; returns their SHA-256 (hex). */
export async function randomFile(path: string, size: number): Promise<string> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  await Deno.writeFile(path, bytes);
  return createHash("sha256").update(bytes).digest("hex");
}

/** The SHA-256 (hex) of the file at `path`. */
export async function sha256Of(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** A loopback port free right now (bound, then released). */
export function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}
