/**
 * `GET /api/events`: the registry's changes as server-sent events. Joins,
 * leaves, updates and log entries go out as they happen; heartbeats are
 * gathered and sent once per tick with the counters, so a registry with
 * thousands of peers does not flood a browser.
 */

import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { waitAtMost } from "../async/mod.ts";
import type { RegistryChange, RegistryView } from "../registry/mod.ts";
import { clusterJson, eventJson, peerJson, statsJson } from "./api_shapes.ts";

/** Options for {@linkcode liveFeed}. */
export interface LiveFeedOptions {
  view: RegistryView;
  /** Aborted when the dashboard shuts down; ends every open stream. */
  signal: AbortSignal;
  /**
   * How often heartbeats and counters are sent. Default: a quarter of the
   * heartbeat interval (50 ms to 1 s), so a browser never sees a healthy peer
   * as late merely because it has not been told of its last beat yet.
   */
  tickMs?: number;
}

// A browser that stops reading is dropped; EventSource reconnects and the
// next `hello` brings it up to date, so nothing is lost but queue memory.
const MAX_QUEUED_EVENTS = 10_000;

/** Streams events until the client goes away or the dashboard stops. */
export function liveFeed(c: Context, options: LiveFeedOptions): Response {
  const { view, signal } = options;
  const tickMs = options.tickMs ?? Math.min(1000, Math.max(50, view.info().heartbeatMs / 4));
  return streamSSE(c, async (stream) => {
    const queue: { event: string; data: object }[] = [];
    const beats = new Map<string, number>();
    let done = false;
    let wake: (() => void) | undefined;
    const stop = () => {
      done = true;
      wake?.();
    };
    const unsubscribe = view.subscribe(function onRegistryChange(change: RegistryChange) {
      const now = Date.now();
      switch (change.kind) {
        case "heartbeat":
          beats.set(change.peer.id, change.peer.lastHeartbeatAt);
          return;
        case "joined":
        case "updated":
          queue.push({ event: `peer_${change.kind}`, data: { peer: peerJson(change.peer, now) } });
          break;
        case "left":
          beats.delete(change.peer.id);
          queue.push({
            event: "peer_left",
            data: { peer: peerJson(change.peer, now), reason: change.reason },
          });
          break;
        case "event":
          queue.push({ event: "log", data: eventJson(change.event) });
          break;
      }
      if (queue.length > MAX_QUEUED_EVENTS) {
        // Stuck on a write to this browser: let go of it entirely.
        queue.length = 0;
        unsubscribe();
        stop();
        stream.abort();
      }
      wake?.();
    });
    stream.onAbort(stop);
    signal.addEventListener("abort", stop);
    try {
      const now = Date.now();
      await send("hello", {
        info: view.info(),
        stats: statsJson(view.stats(), view.info(), now),
        peers: view.peers().map((p) => peerJson(p, now)),
        ...clusterPart(now),
      });
      let nextTick = Date.now() + tickMs;
      while (!done && !signal.aborted) {
        let membershipChanged = false;
        while (queue.length > 0 && !done) {
          const item = queue.shift()!;
          membershipChanged ||= item.event.startsWith("peer_");
          await send(item.event, item.data);
        }
        // Totals follow joins and leaves at once, not at the next tick.
        if (membershipChanged) {
          await send("stats", { stats: statsJson(view.stats(), view.info(), Date.now()) });
        }
        if (Date.now() >= nextTick) {
          await send("tick", {
            stats: statsJson(view.stats(), view.info(), Date.now()),
            beats: Object.fromEntries(beats),
            ...clusterPart(Date.now()),
          });
          beats.clear();
          nextTick = Date.now() + tickMs;
        }
        if (queue.length > 0 || done) continue;
        await waitAtMost(
          new Promise<void>((resolve) => wake = resolve),
          Math.max(0, nextTick - Date.now()),
        );
        wake = undefined;
      }
    } finally {
      unsubscribe();
      signal.removeEventListener("abort", stop);
    }

    /** A cluster instance's ticks also carry the instances and the engine's state. */
    function clusterPart(now: number): { cluster?: ReturnType<typeof clusterJson> } {
      const cluster = view.cluster?.();
      return cluster ? { cluster: clusterJson(cluster, now) } : {};
    }

    async function send(event: string, data: object): Promise<void> {
      await stream.writeSSE({ event, data: JSON.stringify({ ...data, now: Date.now() }) });
    }
  });
}
