/**
 * Benchmark 11: three cluster instances, each holding N peers that all
 * heartbeat once a second. Heartbeats are local to each instance, so the
 * cluster should handle their sum, and Redis should hardly notice: what it
 * does per heartbeat is measured from its own command counter (INFO), with
 * its CPU and memory, over the same window.
 */

import { ClusterHosts } from "../support/cluster_hosts.ts";
import type { BenchResult } from "../support/result.ts";
import { SimFleet } from "../support/sim_fleet.ts";
import { formatBytes, formatRate } from "../support/stats.ts";

export async function clusterCapacity(perInstance: number, seconds: number): Promise<BenchResult> {
  // As in benchmark 4: eviction and join deadlines are not under test, and
  // must not trip while the list traffic of the joins saturates both cores.
  await using cluster = await ClusterHosts.start(3, {
    heartbeatMs: 1000,
    evictAfter: 600,
    registerTimeoutMs: 120_000,
  });
  await using fleet = new SimFleet(2);
  const joinStarted = performance.now();
  const waves = 5;
  let failures = 0;
  for (let wave = 0; wave < waves; wave++) {
    for (const [i, address] of cluster.addresses.entries()) {
      const joins = await fleet.join(address, perInstance / waves, {
        prefix: `w${wave}i${i}`,
        concurrency: 100,
        reading: "bytes",
      });
      failures += joins.reduce((sum, j) => sum + j.failures, 0);
    }
    await fleet.ask({ op: "autobeat", intervalMs: 1000 });
  }
  const joinSeconds = (performance.now() - joinStarted) / 1000;
  // Let the list traffic drain, then measure the steady state.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const stats = () => Promise.all(cluster.instances.map((host) => host.stats()));
  const before = await stats();
  const engineBefore = await cluster.engine();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const engineAfter = await cluster.engine();
  const elapsed = (performance.now() - started) / 1000;
  const after = await stats();
  const handled = after.reduce(
    (sum, s, i) => sum + s.stats.heartbeats - before[i].stats.heartbeats,
    0,
  );
  const rate = handled / elapsed;
  // One of the counted commands is the first reading itself.
  const commands = engineAfter.commands - engineBefore.commands - 1;
  const perHeartbeat = commands / Math.max(1, handled);
  const redisCpu = (engineAfter.cpuSeconds - engineBefore.cpuSeconds) / elapsed;
  const online = after[0].stats.peersOnline;
  const total = perInstance * 3;
  return {
    id: 11,
    what: `cluster capacity: 3 instances × ${perInstance.toLocaleString("en")} peers heart-beating`,
    measured: `${formatRate(rate)} heartbeats handled; ${perHeartbeat.toFixed(4)} Redis ` +
      `commands per heartbeat; Redis CPU ${(redisCpu * 100).toFixed(1)}%, memory ${
        formatBytes(engineAfter.memoryBytes)
      }`,
    baseline: "—",
    ratio: "—",
    target: "≥ 15,000 heartbeats/s; ≤ 0.01 Redis commands per heartbeat",
    met: rate >= Math.min(15_000, total * 0.95) && perHeartbeat <= 0.01 && online === total,
    details: {
      perInstance,
      online,
      joinFailures: failures,
      joinSeconds,
      heartbeatsHandled: handled,
      seconds: elapsed,
      redisCommands: commands,
      redisCommandsPerHeartbeat: perHeartbeat,
      redisCpuFraction: redisCpu,
      redisMemoryBytes: engineAfter.memoryBytes,
      instanceRss: after.map((s) => s.rss),
    },
  };
}
