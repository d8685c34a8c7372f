/// <reference lib="deno.worker" />
/**
 * A worker that hosts many simulated peers, so the load generator runs on
 * its own thread. Driven by messages from bench/support/sim_fleet.ts.
 */

import type { HostPort } from "../../protocol/mod.ts";
import { Identity } from "../../peer/mod.ts";
import { RawPeer, type RawPeerReading, skimFrames } from "../../sim/mod.ts";

/** Requests a fleet worker understands. */
export type SimRequest =
  | {
    op: "join";
    registry: HostPort;
    names: string[];
    spreadMs?: number;
    concurrency?: number;
    reading?: RawPeerReading;
  }
  | { op: "beat"; seq: number }
  | { op: "autobeat"; intervalMs: number }
  | { op: "acks" }
  | { op: "bytes" }
  | { op: "allKnow"; count: number; timeoutMs: number }
  | { op: "allCounted"; entries: number; timeoutMs: number }
  | { op: "learned"; peerId: string; timeoutMs: number }
  | { op: "rawConnect"; address: HostPort; count: number }
  | { op: "rawReceived"; frames: number; timeoutMs: number }
  | { op: "close"; leave?: boolean };

const peers: RawPeer[] = [];
// A join waits for its registration and first list, however busy the registry.
const JOIN_TIMEOUT_MS = 60_000;
let autobeat: ReturnType<typeof setInterval> | undefined;
/** Raw sockets for the fan-out baseline: when each received each whole frame. */
const raw: { conn: Deno.TcpConn; receivedAt: number[] }[] = [];
const rawReaders: Promise<void>[] = [];
const wall = (t: number) => performance.timeOrigin + t;

/** Waits until `test` holds for every peer, or each has waited `timeoutMs`. */
async function untilAll(
  test: (peer: RawPeer) => unknown,
  what: string,
  timeoutMs: number,
): Promise<void> {
  await Promise.allSettled(peers.map((p) => p.until(() => test(p) || undefined, what, timeoutMs)));
}

async function handle(request: SimRequest): Promise<unknown> {
  switch (request.op) {
    case "join": {
      // Keys are made before the clock starts: they belong to the peers, not to joining.
      const identities = await Promise.all(request.names.map(() => Identity.generate()));
      const started = performance.now();
      const concurrency = request.concurrency ?? 50;
      const spread = request.spreadMs ?? 0;
      let next = 0;
      let failures = 0;
      const runners = Array.from(
        { length: Math.min(concurrency, request.names.length) },
        async () => {
          while (next < request.names.length) {
            const index = next++;
            if (spread > 0) {
              const due = started + (spread * index) / request.names.length;
              const wait = due - performance.now();
              if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
            }
            try {
              peers.push(
                await RawPeer.join(request.registry, request.names[index], {
                  reading: request.reading ?? "list",
                  identity: identities[index],
                  timeoutMs: JOIN_TIMEOUT_MS,
                }),
              );
            } catch {
              failures++;
            }
          }
        },
      );
      await Promise.all(runners);
      return { joined: peers.length, failures, ms: performance.now() - started };
    }
    case "beat":
      for (const peer of peers) peer.sendHeartbeat();
      return { sent: peers.length };
    case "autobeat": {
      // Every peer beats once per interval, spread evenly over it (as real
      // peers, started at different moments, would).
      clearInterval(autobeat);
      const slices = 20;
      let slice = 0;
      autobeat = setInterval(() => {
        for (let i = slice; i < peers.length; i += slices) peers[i].sendHeartbeat();
        slice = (slice + 1) % slices;
      }, request.intervalMs / slices);
      return { beating: peers.length };
    }
    case "acks":
      return { acks: peers.reduce((sum, p) => sum + p.heartbeatsAcked, 0) };
    case "bytes":
      return { bytes: peers.reduce((sum, p) => sum + p.bytesRead, 0) };
    case "allKnow": {
      // Each peer is listed too: it knows `count` others when it lists `count + 1`.
      const knowsAll = (p: RawPeer) => p.peerList!.peers.size > request.count;
      const deadline = performance.now() + request.timeoutMs;
      await untilAll((p) => knowsAll(p) || undefined, "the others", request.timeoutMs);
      const done = peers.filter(knowsAll);
      const lastLearned = done.map((p) => Math.max(...p.peerList!.learnedAt.values()));
      return {
        complete: done.length,
        total: peers.length,
        lastLearnedAt: lastLearned.length ? wall(Math.max(...lastLearned)) : null,
        timedOut: performance.now() >= deadline,
        gaps: peers.reduce((sum, p) => sum + p.peerList!.gaps, 0),
      };
    }
    case "allCounted": {
      await untilAll(
        (p) => p.entriesSeen >= request.entries || undefined,
        "the entries",
        request.timeoutMs,
      );
      const done = peers.filter((p) => p.entriesSeen >= request.entries);
      return {
        complete: done.length,
        total: peers.length,
        lastLearnedAt: done.length ? wall(Math.max(...done.map((p) => p.lastEntryAt))) : null,
        gaps: 0,
      };
    }
    case "learned": {
      const learnedAt = (p: RawPeer) => p.peerList!.learnedAt.get(request.peerId);
      await untilAll(learnedAt, "the newcomer", request.timeoutMs);
      return { times: peers.map((p) => learnedAt(p) === undefined ? null : wall(learnedAt(p)!)) };
    }
    case "rawConnect": {
      for (let i = 0; i < request.count; i++) {
        const conn = await Deno.connect({ ...request.address, transport: "tcp" });
        const entry = { conn, receivedAt: [] as number[] };
        raw.push(entry);
        rawReaders.push(skimFrames(conn, {
          onFrame: () => entry.receivedAt.push(wall(performance.now())),
          smallBytes: 0,
        }));
      }
      return { connected: raw.length };
    }
    case "rawReceived": {
      const deadline = performance.now() + request.timeoutMs;
      while (
        raw.some((r) => r.receivedAt.length < request.frames) && performance.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      return { times: raw.map((r) => r.receivedAt[request.frames - 1] ?? null) };
    }
    case "close":
      clearInterval(autobeat);
      await Promise.all(peers.map((p) => request.leave ? p.leave() : p.close()));
      peers.length = 0;
      for (const r of raw) r.conn.close();
      await Promise.all(rawReaders);
      raw.length = 0;
      return { closed: true };
  }
}

self.onmessage = async (event: MessageEvent<{ id: number; request: SimRequest }>) => {
  const { id, request } = event.data;
  try {
    self.postMessage({ id, result: await handle(request) });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
