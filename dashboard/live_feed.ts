/**
 * `GET /api/events`: the registry's changes as server-sent events. Joins,
 * leaves, updates and log entries go out as they happen, each with an `id:`;
 * heartbeats are gathered and sent once per tick with the counters, so a
 * registry with thousands of peers does not flood a browser. A browser that
 * reconnects with `Last-Event-ID` gets what it missed rather than everything.
 */

import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { waitAtMost } from "../async/mod.ts";
import type { RegistryView } from "../registry/mod.ts";
import { clusterJson, eventJson, peerJson, statsJson } from "./api_shapes.ts";
import type { JournalEntry, LiveJournal } from "./live_journal.ts";

/** Options for {@linkcode liveFeed}. */
export interface LiveFeedOptions {
  view: RegistryView;
  journal: LiveJournal;
  /** Aborted when the dashboard shuts down; ends every open stream. */
  signal: AbortSignal;
  /**
   * How often heartbeats and counters are sent. Default: a quarter of the
   * heartbeat interval (50 ms to 1 s), so a browser never sees a healthy peer
   * as late merely because it has not been told of its last beat yet.
   */
  tickMs?: number;
  /** The network chart: sent as a `chart` event on the first tick and whenever it changed. */
  chart?: { version(): number; model(): object };
  /** Called once the stream has ended. */
  onEnd?: () => void;
}

// A browser that stops reading is dropped; EventSource reconnects and resumes
// from its last event ID, so nothing is lost but queue memory.
const MAX_QUEUED_EVENTS = 10_000;

/** Streams events until the client goes away or the dashboard stops. */
export function liveFeed(c: Context, options: LiveFeedOptions): Response {
  const { view, journal, signal } = options;
  const tickMs = options.tickMs ?? Math.min(1000, Math.max(50, view.info().heartbeatMs / 4));
  const resumeFrom = journal.since(c.req.header("last-event-id"));
  return streamSSE(c, async (stream) => {
    const queue: JournalEntry[] = [];
    const beats = new Map<string, number>();
    let done = false;
    let wake: (() => void) | undefined;
    const stop = () => {
      done = true;
      wake?.();
    };
    const unsubscribe = journal.subscribe(function onJournalEntry(entry) {
      if (entry.change.kind === "heartbeat") {
        beats.set(entry.change.peer.id, entry.change.peer.lastHeartbeatAt);
        return;
      }
      if (entry.change.kind === "left") beats.delete(entry.change.peer.id);
      queue.push(entry);
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
    let chartVersion = -1;
    try {
      const now = Date.now();
      if (resumeFrom) {
        queue.unshift(...resumeFrom);
        // Every heartbeat it missed, summed up as the current ones.
        for (const peer of view.peers()) beats.set(peer.id, peer.lastHeartbeatAt);
      } else {
        await send("hello", {
          info: view.info(),
          stats: statsJson(view.stats(), view.info(), now),
          peers: view.peers().map((p) => peerJson(p, now)),
          ...clusterPart(now),
        }, journal.head);
      }
      let nextTick = resumeFrom ? 0 : Date.now() + tickMs;
      while (!done && !signal.aborted) {
        let membershipChanged = false;
        while (queue.length > 0 && !done) {
          const entry = queue.shift()!;
          membershipChanged ||= entry.change.kind !== "event";
          await sendEntry(entry);
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
          const chart = options.chart;
          if (chart && chart.version() !== chartVersion) {
            chartVersion = chart.version();
            await send("chart", chart.model());
          }
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
      options.onEnd?.();
    }

    /** A cluster instance's ticks also carry the instances and the engine's state. */
    function clusterPart(now: number): { cluster?: ReturnType<typeof clusterJson> } {
      const cluster = view.cluster?.();
      return cluster ? { cluster: clusterJson(cluster, now) } : {};
    }

    async function sendEntry(entry: JournalEntry): Promise<void> {
      const now = Date.now();
      const { change } = entry;
      switch (change.kind) {
        case "joined":
        case "updated":
          return await send(`peer_${change.kind}`, { peer: peerJson(change.peer, now) }, entry.seq);
        case "left":
          return await send(
            "peer_left",
            { peer: peerJson(change.peer, now), reason: change.reason },
            entry.seq,
          );
        case "event":
          return await send("log", eventJson(change.event), entry.seq);
      }
    }

    async function send(event: string, data: object, seq?: number): Promise<void> {
      await stream.writeSSE({
        event,
        data: JSON.stringify({ ...data, now: Date.now() }),
        id: seq === undefined ? undefined : journal.eventId(seq),
      });
    }
  });
}
