/**
 * Benchmark 10: one of three cluster instances is SIGKILLed with 1,000
 * peers registered over them. The third on it must register elsewhere by
 * themselves within 3 s, with no reconnect storm (attempts ≤ 2× the peers
 * that moved), and nobody may be told that anyone left: every peer is still
 * online, only its instance died. Departures are counted until the dead
 * instance's deadline and move grace have passed, when a wrong one would show.
 */

import { instanceTtlMs, MOVE_GRACE_MS } from "../../registry/mod.ts";
import { formatHostPort } from "../../protocol/mod.ts";
import type { RegistryStats } from "../../registry/mod.ts";
import type { RestartRequest } from "../sim/restart_worker.ts";
import { ClusterHosts } from "../support/cluster_hosts.ts";
import type { BenchResult } from "../support/result.ts";
import { formatMs } from "../support/stats.ts";

const WORKER = new URL("../sim/restart_worker.ts", import.meta.url);
const SETTINGS = { heartbeatMs: 2000, evictAfter: 3 };

export async function clusterFailover(peers: number): Promise<BenchResult> {
  await using cluster = await ClusterHosts.start(3, SETTINGS);
  const workers = [new Worker(WORKER, { type: "module" }), new Worker(WORKER, { type: "module" })];
  const ask = (request: RestartRequest) =>
    Promise.all(workers.map((worker) =>
      new Promise<Record<string, number>>((resolve) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.postMessage(request);
      })
    ));
  try {
    await ask({ op: "start", registries: cluster.addresses, count: peers / workers.length });
    await ask({ op: "waitRegistered", sessions: 1, timeoutMs: 120_000 });
    const victim = cluster.instances[0];
    const survivors = cluster.instances.slice(1);
    // What the survivors did meanwhile says where any departures came from.
    const counters = () => Promise.all(survivors.map((host) => host.stats()));
    const before = await counters();
    // Let every list settle, then kill one instance.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await ask({ op: "mark", on: formatHostPort(victim.address) });
    await victim.kill();
    const killedAt = performance.now();
    const moved = await ask({ op: "waitRegistered", sessions: 2, timeoutMs: 30_000 });
    const recoveryMs = Math.max(...moved.map((r) => r.lastRegisteredAt)) -
      (performance.timeOrigin + killedAt);
    // A wrong "left" would come when the dead instance's peers are reaped:
    // its deadline, then the move grace.
    const window = instanceTtlMs(SETTINGS.heartbeatMs, SETTINGS.evictAfter) + MOVE_GRACE_MS + 2000;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, killedAt + window - performance.now()))
    );
    const after = await ask({ op: "waitRegistered", sessions: 2, timeoutMs: 1 });
    const counted = await counters();
    const delta = (pick: (stats: RegistryStats) => number) =>
      counted.reduce((sum, c, i) => sum + pick(c.stats) - pick(before[i].stats), 0);
    const evictions = delta((stats) => stats.evictions);
    const refused = delta((stats) => stats.registrationsRefused);
    const survivorLeaves = delta((stats) => stats.leaves.timeout + stats.leaves.bye);
    const movers = moved.reduce((sum, r) => sum + r.waiting, 0);
    const back = moved.reduce((sum, r) => sum + r.registered, 0);
    const attempts = moved.reduce((sum, r) => sum + r.attempts, 0);
    const leaves = after.reduce((sum, r) => sum + r.leaves, 0);
    return {
      id: 10,
      what: `cluster failover: 1 of 3 instances killed with ${peers.toLocaleString("en")} peers`,
      measured:
        `${back}/${movers} moved peers registered elsewhere ${formatMs(recoveryMs)} after ` +
        `the kill; ${attempts} connection attempts; ${leaves} peers reported leaving` +
        (evictions + refused > 0
          ? ` (the survivors evicted ${evictions} silent peers and refused ${refused} registrations)`
          : ""),
      baseline: "—",
      ratio: `${(attempts / Math.max(1, movers)).toFixed(2)}× moved`,
      target: "all back ≤ 3 s; 0 false leaves; attempts ≤ 2× moved",
      met: movers > 0 && back === movers && recoveryMs <= 3000 && leaves === 0 &&
        attempts <= 2 * movers,
      details: {
        peers,
        movers,
        back,
        recoveryMs,
        attempts,
        falseLeaves: leaves,
        windowMs: window,
        survivorEvictions: evictions,
        survivorRefusals: refused,
        survivorSessionsEnded: survivorLeaves,
      },
    };
  } finally {
    await ask({ op: "stop" });
    for (const worker of workers) worker.terminate();
  }
}
