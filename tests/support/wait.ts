/** Waiting on conditions that end-to-end tests observe from outside. */

import type { PeerProcess } from "./processes.ts";

/** Names the peer currently knows, from its `peers`/`peer_joined`/`peer_left` events. */
export function knownPeers(peer: PeerProcess): string[] {
  const known = new Map<string, string>();
  for (const event of peer.events) {
    if (event.event === "peers") {
      known.clear();
      for (const p of event.peers) known.set(p.id, p.name);
    } else if (event.event === "peer_joined") known.set(event.peer.id, event.peer.name);
    else if (event.event === "peer_left") known.delete(event.peer.id);
  }
  return [...known.values()].sort();
}

/** True when both sorted name lists are equal. */
export function sameNames(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** Polls `check` until it returns a value (not undefined or false). */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls an asynchronous `check` (an HTTP probe, say) until it holds. */
export async function waitUntilAsync(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
