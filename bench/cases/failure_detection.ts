/**
 * Benchmark 6: how quickly others learn that a peer is gone. A silent peer
 * (stops heartbeating, socket open: a frozen process or a dropped link)
 * must be evicted within (evict-after + 1) heartbeat intervals; a peer that
 * says bye must be seen leaving within 50 ms.
 */

import { RegistryHost } from "../support/registry_process.ts";
import type { BenchResult } from "../support/result.ts";
import { formatMs, median, percentile } from "../support/stats.ts";
import { RawPeer } from "../../sim/mod.ts";

const HEARTBEAT_MS = 500;
const EVICT_AFTER = 3;
// Far beyond any bound measured here: a wait this long is a failure.
const WAIT_MS = 30_000;

export async function failureDetection(trials: number): Promise<BenchResult> {
  await using registry = await RegistryHost.start({
    heartbeatMs: HEARTBEAT_MS,
    evictAfter: EVICT_AFTER,
  });
  const watcher = await RawPeer.join(registry.address, "watcher", { reading: "list" });
  const list = watcher.peerList!;
  const victims = new Set<RawPeer>();
  // The watcher and live victims heartbeat as a real peer would.
  const beating = setInterval(() => {
    watcher.sendHeartbeat();
    for (const victim of victims) victim.sendHeartbeat();
  }, HEARTBEAT_MS);
  const learned = (peer: RawPeer) =>
    watcher.until(() => list.learnedAt.get(peer.identity.id), `${peer.label} listed`, WAIT_MS);
  const gone = (peer: RawPeer) =>
    watcher.until(() => list.leftAt.get(peer.identity.id), `${peer.label} gone`, WAIT_MS);
  const silent: number[] = [];
  const clean: number[] = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      // Silent: it simply stops beating (its socket stays open).
      const frozen = await RawPeer.join(registry.address, `silent-${trial}`, { reading: "list" });
      victims.add(frozen);
      await learned(frozen);
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS * 1.5));
      frozen.sendHeartbeat(); // its last sign of life
      victims.delete(frozen);
      const lastBeat = performance.now();
      silent.push(await gone(frozen) - lastBeat);
      await frozen.close();

      // Clean: it says bye.
      const leaving = await RawPeer.join(registry.address, `leaving-${trial}`, { reading: "list" });
      await learned(leaving);
      const byeAt = performance.now();
      await leaving.leave();
      clean.push(await gone(leaving) - byeAt);
    }
  } finally {
    clearInterval(beating);
    await watcher.close();
  }
  const bound = (EVICT_AFTER + 1) * HEARTBEAT_MS;
  const silentMax = Math.max(...silent);
  const clean99 = percentile(clean, 99);
  return {
    id: 6,
    what: `failure detection (heartbeat ${HEARTBEAT_MS} ms × ${EVICT_AFTER})`,
    measured: `silent: median ${formatMs(median(silent))}, max ${formatMs(silentMax)}; ` +
      `bye: median ${formatMs(median(clean))}, p99 ${formatMs(clean99)}`,
    baseline: `configured bound ${formatMs(bound)}`,
    ratio: `${(silentMax / bound).toFixed(2)}× bound`,
    target: "evicted ≤ (evict-after + 1) × interval; bye seen ≤ 50 ms",
    met: silentMax <= bound && clean99 <= 50,
    details: { trials, silentMs: silent, cleanMs: clean, boundMs: bound },
  };
}
