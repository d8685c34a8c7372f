/**
 * Benchmark 3: how long from a peer's registration until every other peer
 * has applied it, with 100 and 1,000 peers online. Baseline: one bare write
 * of a frame of the same size to the same number of sockets.
 */

import { HostProcess } from "../support/host_process.ts";
import { RegistryHost } from "../support/registry_process.ts";
import type { BenchResult } from "../support/result.ts";
import { SimFleet } from "../support/sim_fleet.ts";
import { formatMs, percentile, wallNow } from "../support/stats.ts";
import { type HostPort, parseHostPort } from "../../protocol/mod.ts";
import { RawPeer } from "../../sim/mod.ts";

const RAW_FANOUT = new URL("../raw_fanout_host.ts", import.meta.url);
// A delta announcing one join is about this size on the wire.
const DELTA_BYTES = 190;

/** Runs the join-visibility benchmark for `peers` peers over `trials` joins. */
export async function joinVisibility(peers: number, trials: number): Promise<BenchResult> {
  const latencies = await measureJoins(peers, trials);
  const baseline = await measureRawFanout(peers - 1, trials);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const base50 = percentile(baseline, 50);
  const gated = peers <= 100;
  return {
    id: 3,
    what: `join visible to all, ${peers} peers`,
    measured: `p50 ${formatMs(p50)}, p99 ${formatMs(p99)}`,
    baseline: `raw fan-out p50 ${formatMs(base50)}`,
    ratio: `${(p50 / base50).toFixed(1)}×`,
    target: gated ? "p50 ≤ 5 ms, p99 ≤ 20 ms" : "(reported)",
    met: gated ? p50 <= 5 && p99 <= 20 : true,
    details: { peers, trials, latenciesMs: latencies, baselineMs: baseline },
  };
}

async function measureJoins(peers: number, trials: number): Promise<number[]> {
  await using registry = await RegistryHost.start(JOIN_SETTINGS);
  return await joinLatencies([registry.address], peers, trials);
}

/** Registry settings for join measurements: heartbeats and evictions out of the way. */
export const JOIN_SETTINGS = { heartbeatMs: 600_000, evictAfter: 10 };

/**
 * With N−1 peers spread evenly over `registries`, how long each of `trials`
 * new peers (registering on each registry in turn) takes to be applied by
 * every other peer, in ms.
 */
export async function joinLatencies(
  registries: HostPort[],
  peers: number,
  trials: number,
): Promise<number[]> {
  await using fleet = new SimFleet(2);
  for (const [i, registry] of registries.entries()) {
    const share = Math.floor((peers - 1) / registries.length) +
      (i < (peers - 1) % registries.length ? 1 : 0);
    await fleet.join(registry, share, { concurrency: 40, prefix: `sim${i}` });
  }
  await fleet.ask({ op: "allKnow", count: peers - 2, timeoutMs: 60_000 });
  const latencies: number[] = [];
  const joiners: RawPeer[] = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      // Let the registry settle between joins: each is measured alone.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const registry = registries[trial % registries.length];
      const joiner = await RawPeer.join(registry, `joiner-${trial}`, { reading: "list" });
      joiners.push(joiner);
      const registeredAt = performance.timeOrigin + joiner.registeredAt;
      const answers = await fleet.ask<{ times: (number | null)[] }>({
        op: "learned",
        peerId: joiner.identity.id,
        timeoutMs: 10_000,
      });
      const times = answers.flatMap((a) => a.times);
      if (times.some((t) => t === null)) {
        throw new Error(`join ${trial} was not seen by every peer`);
      }
      latencies.push(Math.max(...(times as number[])) - registeredAt);
    }
  } finally {
    await Promise.all(joiners.map((j) => j.close()));
  }
  return latencies;
}

async function measureRawFanout(sockets: number, trials: number): Promise<number[]> {
  await using server = await HostProcess.start(RAW_FANOUT);
  const address = parseHostPort(String(server.hello.listening));
  await using fleet = new SimFleet(2);
  await fleet.ask((worker) => ({
    op: "rawConnect",
    address,
    count: Math.floor(sockets / 2) + (worker < sockets % 2 ? 1 : 0),
  }));
  while ((await server.request<{ connections: number }>("count")).connections < sockets) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const latencies: number[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    const { sentAt } = await server.request<{ sentAt: number }>(`go ${DELTA_BYTES}`);
    const answers = await fleet.ask<{ times: (number | null)[] }>({
      op: "rawReceived",
      frames: trial,
      timeoutMs: 10_000,
    });
    const times = answers.flatMap((a) => a.times);
    if (times.some((t) => t === null)) throw new Error("raw fan-out frame lost");
    latencies.push(Math.max(...(times as number[])) - sentAt);
  }
  void wallNow;
  return latencies;
}
