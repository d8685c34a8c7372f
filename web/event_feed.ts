/**
 * `GET /api/events`: the peer's own events, as server-sent events — the same
 * objects `--json` prints, one per SSE message, named by their `event`.
 */

import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { waitAtMost } from "../async/mod.ts";
import type { Peer, PeerEvent } from "../peer/mod.ts";

// A tab that stops reading is dropped rather than buffered without end; the
// browser reconnects and reloads the state.
const MAX_QUEUED = 10_000;

/** Streams `peer`'s events until the browser leaves or `signal` aborts. */
export function eventFeed(c: Context, peer: Peer, signal: AbortSignal): Response {
  return streamSSE(c, async (stream) => {
    const queue: PeerEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const stop = () => {
      done = true;
      wake?.();
    };
    const unsubscribe = peer.onEvent((event) => {
      queue.push(event);
      if (queue.length > MAX_QUEUED) {
        queue.length = 0;
        stop();
        stream.abort();
      }
      wake?.();
    });
    stream.onAbort(stop);
    signal.addEventListener("abort", stop);
    try {
      await stream.writeSSE({ event: "hello", data: JSON.stringify({ id: peer.id }) });
      while (!done) {
        while (queue.length > 0 && !done) {
          const event = queue.shift()!;
          await stream.writeSSE({ event: event.event, data: JSON.stringify(event) });
        }
        if (done) break;
        // A comment now and then keeps proxies and idle timers from closing the stream.
        await waitAtMost(new Promise<void>((resolve) => wake = resolve), 15_000);
        wake = undefined;
        if (queue.length === 0 && !done) await stream.write(": keep-alive\n\n");
      }
    } finally {
      unsubscribe();
      signal.removeEventListener("abort", stop);
    }
  });
}
