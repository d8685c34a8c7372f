/**
 * Benchmark 5: 1,000 peers join within one second. Everyone must come to
 * know everyone, and the registry should send little more than the
 * information itself: each peer has to learn N−1 entries, so N·(N−1) entries
 * is the lower bound on what it must send.
 */

import { RegistryHost } from "../support/registry_process.ts";
import type { BenchResult } from "../support/result.ts";
import { SimFleet } from "../support/sim_fleet.ts";
import { formatBytes, formatMs, wallNow } from "../support/stats.ts";

/** Bytes of one peer entry as the protocol carries it (a typical simulated one). */
function entryBytes(peers: number): number {
  const example = {
    id: "a".repeat(52),
    name: `sim-${Math.floor(peers / 2)}`,
    address: "127.0.0.1:9",
  };
  return new TextEncoder().encode(JSON.stringify(example)).length;
}

export async function joinBurst(peers: number, spreadMs: number): Promise<BenchResult> {
  await using registry = await RegistryHost.start({ heartbeatMs: 600_000, evictAfter: 10 });
  await using fleet = new SimFleet(2);
  const started = wallNow();
  await fleet.join(registry.address, peers, { spreadMs, concurrency: 200, reading: "entries" });
  // Everyone has been sent all N entries (its own included) once the list converged.
  const answers = await fleet.ask<
    { complete: number; total: number; lastLearnedAt: number | null; gaps: number }
  >({ op: "allCounted", entries: peers, timeoutMs: 30_000 });
  const complete = answers.reduce((sum, a) => sum + a.complete, 0);
  const allKnowAt = Math.max(...answers.map((a) => a.lastLearnedAt ?? Infinity));
  const convergedMs = allKnowAt - started;
  const bytes = (await fleet.ask<{ bytes: number }>({ op: "bytes" })).reduce(
    (sum, b) => sum + b.bytes,
    0,
  );
  const lowerBound = peers * (peers - 1) * entryBytes(peers);
  const ratio = bytes / lowerBound;
  const { stats } = await registry.stats();
  return {
    id: 5,
    what: `burst: ${peers} peers join within ${spreadMs / 1000} s`,
    measured: `all know all after ${formatMs(convergedMs)}; registry sent ${formatBytes(bytes)}`,
    baseline: `lower bound ${formatBytes(lowerBound)} (N·(N−1) entries)`,
    ratio: `${ratio.toFixed(2)}× bytes`,
    target: "all know all ≤ 2 s; bytes ≤ 3× lower bound",
    met: complete === peers && convergedMs <= 2000 && ratio <= 3,
    details: {
      peers,
      spreadMs,
      complete,
      convergedMs,
      bytesReceived: bytes,
      lowerBoundBytes: lowerBound,
      deltaFramesWritten: stats.deltasSent,
      snapshotsSent: stats.snapshotsSent,
      gaps: answers.reduce((sum, a) => sum + a.gaps, 0),
    },
  };
}
