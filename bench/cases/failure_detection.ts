/**
 * Benchmark 6: how quickly others learn that a peer is gone. A silent peer
 * (stops heartbeating, socket open: a frozen process or a dropped link)
 * must be evicted within (evict-after + 1) heartbeat intervals; a peer that
 * says bye must be seen leaving within 50 ms.
 */

import { RegistryHost } from "../support/registry_process.ts";
import type { BenchResult } from "../support/result.ts";
import { formatMs, median, percentile } from "../support/stats.ts";
import { SimPeer } from "../sim/sim_peer.ts";

const HEARTBEAT_MS = 500;
const EVICT_AFTER = 3;

export async function failureDetection(trials: number): Promise<BenchResult> {
  await using registry = await RegistryHost.start({
    heartbeatMs: HEARTBEAT_MS,
    evictAfter: EVICT_AFTER,
  });
  const watcher = await SimPeer.join(registry.address, "watcher");
  let seq = 0;
  const victims = new Set<SimPeer>();
  // The watcher and live victims heartbeat as a real peer would.
  const beating = setInterval(() => {
    seq++;
    watcher.heartbeat(seq);
    for (const victim of victims) victim.heartbeat(seq);
  }, HEARTBEAT_MS);
  const silent: number[] = [];
  const clean: number[] = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      // Silent: it simply stops beating (its socket stays open).
      const frozen = await SimPeer.join(registry.address, `silent-${trial}`);
      victims.add(frozen);
      await watcher.until(() => watcher.known.has(frozen.identity.id));
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS * 1.5));
      frozen.heartbeat(++seq); // its last sign of life
      victims.delete(frozen);
      const lastBeat = performance.now();
      await watcher.until(() => watcher.gone.has(frozen.identity.id));
      silent.push(watcher.gone.get(frozen.identity.id)! - lastBeat);
      await frozen.close();

      // Clean: it says bye.
      const leaving = await SimPeer.join(registry.address, `leaving-${trial}`);
      await watcher.until(() => watcher.known.has(leaving.identity.id));
      const byeAt = performance.now();
      await leaving.leave();
      await watcher.until(() => watcher.gone.has(leaving.identity.id));
      clean.push(watcher.gone.get(leaving.identity.id)! - byeAt);
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
