/**
 * Benchmark 4: a registry holding many registered peers that all heartbeat,
 * each once per second, spread evenly. Measures the heartbeats it handles per
 * second and its memory per peer: resident set size over the idle registry,
 * after a full garbage collection.
 */

import { RegistryHost } from "../support/registry_process.ts";
import type { BenchResult } from "../support/result.ts";
import { SimFleet } from "../support/sim_fleet.ts";
import { formatBytes, formatRate } from "../support/stats.ts";

export async function registryCapacity(peers: number, seconds: number): Promise<BenchResult> {
  // Eviction and join deadlines are not under test here (see benchmarks 5 and
  // 6): while 10,000 peers join, the list traffic (each peer must be sent every
  // other: ~10 GB) saturates both cores, and the load generator must not get
  // its own peers evicted or refused for being slow to answer meanwhile.
  await using registry = await RegistryHost.start({
    heartbeatMs: 1000,
    evictAfter: 600,
    registerTimeoutMs: 120_000,
  });
  const idle = await registry.stats();
  await using fleet = new SimFleet(2);
  const joinStarted = performance.now();
  // Peers join in waves and start beating at once, as real ones would.
  const waves = 10;
  let failures = 0;
  for (let wave = 0; wave < waves; wave++) {
    const joins = await fleet.join(registry.address, peers / waves, {
      prefix: `w${wave}`,
      concurrency: 100,
      reading: "bytes",
    });
    failures += joins.reduce((sum, j) => sum + j.failures, 0);
    await fleet.ask({ op: "autobeat", intervalMs: 1000 });
  }
  const joinSeconds = (performance.now() - joinStarted) / 1000;
  // Let the list traffic of the joins drain, then measure the steady state.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const before = await registry.stats();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = await registry.stats();
  const elapsed = (performance.now() - started) / 1000;
  const handled = after.stats.heartbeats - before.stats.heartbeats;
  const rate = handled / elapsed;
  const perPeer = (after.rss - idle.rss) / after.stats.peersOnline;
  return {
    id: 4,
    what: `registry capacity: ${peers.toLocaleString("en")} peers heart-beating`,
    measured: `${formatRate(rate)} heartbeats handled; RSS ${formatBytes(perPeer)} per peer`,
    baseline: "—",
    ratio: "—",
    target: "≥ 10,000 heartbeats/s, RSS ≤ 4 KB per peer",
    met: rate >= Math.min(10_000, peers * 0.95) && perPeer <= 4096 &&
      after.stats.peersOnline === peers,
    details: {
      peers,
      online: after.stats.peersOnline,
      evictions: after.stats.evictions,
      joinFailures: failures,
      joinSeconds,
      heartbeatsHandled: handled,
      seconds: elapsed,
      idleRss: idle.rss,
      loadedRss: after.rss,
      rssPerPeer: perPeer,
      heapUsedPerPeer: ((after as { heapUsed?: number }).heapUsed! -
        (idle as { heapUsed?: number }).heapUsed!) / after.stats.peersOnline,
    },
  };
}
