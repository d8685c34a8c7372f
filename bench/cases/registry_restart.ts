/**
 * Benchmark 7: the registry dies (SIGKILL) with many peers registered and
 * comes back on the same address. Every peer must re-register by itself
 * within 5 s, without a reconnect storm: connection attempts ≤ 2× peers.
 * The peers run the real reconnect logic (RegistryClient), without stores
 * or links, several hundred to a worker.
 */

import type { BenchResult } from "../support/result.ts";
import { HostProcess } from "../support/host_process.ts";
import { BENCH_LIMITS } from "../support/registry_process.ts";
import { formatMs } from "../support/stats.ts";
import { parseHostPort } from "../../protocol/mod.ts";
import type { RestartRequest } from "../sim/restart_worker.ts";

const REGISTRY = new URL("../registry_host.ts", import.meta.url);
const WORKER = new URL("../sim/restart_worker.ts", import.meta.url);

export async function registryRestart(peers: number): Promise<BenchResult> {
  const options = JSON.stringify({ ...BENCH_LIMITS, heartbeatMs: 2000, evictAfter: 3 });
  let registry = await HostProcess.start(REGISTRY, [options]);
  const address = parseHostPort(String(registry.hello.listening));
  const workers = [new Worker(WORKER, { type: "module" }), new Worker(WORKER, { type: "module" })];
  const ask = (request: RestartRequest) =>
    Promise.all(workers.map((worker) =>
      new Promise<Record<string, number>>((resolve) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.postMessage(request);
      })
    ));
  try {
    await ask({ op: "start", registries: [address], count: peers / workers.length });
    await ask({ op: "waitRegistered", sessions: 1, timeoutMs: 60_000 });
    // Let the list settle, then crash the registry and bring it back.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await ask({ op: "mark" });
    await registry.kill();
    const crashedAt = performance.now();
    registry = await HostProcess.start(REGISTRY, [
      JSON.stringify({ ...JSON.parse(options), listen: address }),
    ]);
    const upAfter = performance.now() - crashedAt;
    const results = await ask({ op: "waitRegistered", sessions: 2, timeoutMs: 30_000 });
    const back = results.reduce((sum, r) => sum + r.registered, 0);
    const allBackAt = Math.max(...results.map((r) => r.lastRegisteredAt));
    const attempts = results.reduce((sum, r) => sum + r.attempts, 0);
    const recoveryMs = allBackAt - (performance.timeOrigin + crashedAt);
    return {
      id: 7,
      what: `registry restart with ${peers.toLocaleString("en")} peers`,
      measured: `all ${back}/${peers} re-registered ${formatMs(recoveryMs)} after the crash ` +
        `(registry up after ${formatMs(upAfter)}); ${attempts} connection attempts`,
      baseline: "—",
      ratio: `${(attempts / peers).toFixed(2)}× peers`,
      target: "all re-registered ≤ 5 s; attempts ≤ 2× peers",
      met: back === peers && recoveryMs <= 5000 && attempts <= 2 * peers,
      details: { peers, registered: back, recoveryMs, registryUpAfterMs: upAfter, attempts },
    };
  } finally {
    await ask({ op: "stop" });
    for (const worker of workers) worker.terminate();
    await registry[Symbol.asyncDispose]();
  }
}
