/// <reference lib="deno.worker" />
/**
 * A worker that hosts many simulated peers, so the load generator runs on
 * its own thread. Driven by messages from bench/support/sim_fleet.ts.
 */

import type { HostPort } from "../../protocol/mod.ts";
import { Identity } from "../../peer/mod.ts";
import { type SimMode, SimPeer } from "./sim_peer.ts";

/** Requests a fleet worker understands. */
export type SimRequest =
  | {
    op: "join";
    registry: HostPort;
    names: string[];
    spreadMs?: number;
    concurrency?: number;
    mode?: SimMode;
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

const peers: SimPeer[] = [];
let autobeat: ReturnType<typeof setInterval> | undefined;
/** Raw sockets for the fan-out baseline: when each received each whole frame. */
const raw: { conn: Deno.TcpConn; receivedAt: number[] }[] = [];
const rawReaders: Promise<void>[] = [];
const wall = (t: number) => performance.timeOrigin + t;

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
                await SimPeer.join(request.registry, request.names[index], {
                  mode: request.mode,
                  identity: identities[index],
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
      for (const peer of peers) peer.heartbeat(request.seq);
      return { sent: peers.length };
    case "autobeat": {
      // Every peer beats once per interval, spread evenly over it (as real
      // peers, started at different moments, would).
      clearInterval(autobeat);
      const slices = 20;
      let slice = 0;
      let seq = 0;
      autobeat = setInterval(() => {
        seq++;
        for (let i = slice; i < peers.length; i += slices) peers[i].heartbeat(seq);
        slice = (slice + 1) % slices;
      }, request.intervalMs / slices);
      return { beating: peers.length };
    }
    case "acks":
      return { acks: peers.reduce((sum, p) => sum + p.heartbeatsAcked, 0) };
    case "bytes":
      return { bytes: peers.reduce((sum, p) => sum + p.bytesRead, 0) };
    case "allKnow": {
      const deadline = performance.now() + request.timeoutMs;
      await Promise.race([
        Promise.all(peers.map((p) => p.until(() => p.known.size >= request.count))),
        new Promise((resolve) => setTimeout(resolve, request.timeoutMs)),
      ]);
      const done = peers.filter((p) => p.known.size >= request.count);
      const lastLearned = done.map((p) => Math.max(...p.known.values()));
      return {
        complete: done.length,
        total: peers.length,
        lastLearnedAt: lastLearned.length ? wall(Math.max(...lastLearned)) : null,
        timedOut: performance.now() >= deadline,
        gaps: peers.reduce((sum, p) => sum + p.gaps, 0),
      };
    }
    case "allCounted": {
      await Promise.race([
        Promise.all(peers.map((p) => p.until(() => p.entriesSeen >= request.entries))),
        new Promise((resolve) => setTimeout(resolve, request.timeoutMs)),
      ]);
      const done = peers.filter((p) => p.entriesSeen >= request.entries);
      return {
        complete: done.length,
        total: peers.length,
        lastLearnedAt: done.length ? wall(Math.max(...done.map((p) => p.lastEntryAt))) : null,
        gaps: 0,
      };
    }
    case "learned": {
      await Promise.race([
        Promise.all(peers.map((p) => p.until(() => p.known.has(request.peerId)))),
        new Promise((resolve) => setTimeout(resolve, request.timeoutMs)),
      ]);
      return {
        times: peers.map((p) =>
          p.known.has(request.peerId) ? wall(p.known.get(request.peerId)!) : null
        ),
      };
    }
    case "rawConnect": {
      for (let i = 0; i < request.count; i++) {
        const conn = await Deno.connect({ ...request.address, transport: "tcp" });
        const entry = { conn, receivedAt: [] as number[] };
        raw.push(entry);
        rawReaders.push((async () => {
          const buffer = new Uint8Array(65536);
          let pending = 0; // bytes still owed to the current frame
          let header: number[] = [];
          try {
            while (true) {
              const n = await conn.read(buffer);
              if (n === null) return;
              let offset = 0;
              while (offset < n) {
                if (pending === 0) {
                  header.push(buffer[offset++]);
                  if (header.length === 4) {
                    pending = new DataView(new Uint8Array(header).buffer).getUint32(0);
                    header = [];
                  }
                  continue;
                }
                const take = Math.min(pending, n - offset);
                pending -= take;
                offset += take;
                if (pending === 0) entry.receivedAt.push(wall(performance.now()));
              }
            }
          } catch {
            // closed
          }
        })());
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
