/**
 * Benchmark 9: a join visible to all with 1,000 peers spread over three
 * cluster instances, against the single registry in the same run. The
 * cluster adds a Redis round trip (the claim), the stream wake-up and one
 * more hop per instance; the target is p50 ≤ 2× the single registry's.
 */

import { ClusterHosts } from "../support/cluster_hosts.ts";
import { RegistryHost } from "../support/registry_process.ts";
import type { BenchResult } from "../support/result.ts";
import { formatMs, percentile } from "../support/stats.ts";
import { JOIN_SETTINGS, joinLatencies } from "./join_visibility.ts";

export async function clusterJoinVisibility(peers: number, trials: number): Promise<BenchResult> {
  let single: number[];
  {
    await using registry = await RegistryHost.start(JOIN_SETTINGS);
    single = await joinLatencies([registry.address], peers, trials);
  }
  let clustered: number[];
  {
    await using cluster = await ClusterHosts.start(3, JOIN_SETTINGS);
    clustered = await joinLatencies(cluster.addresses, peers, trials);
  }
  const p50 = percentile(clustered, 50);
  const p99 = percentile(clustered, 99);
  const base50 = percentile(single, 50);
  return {
    id: 9,
    what: `cluster join visible to all, ${peers.toLocaleString("en")} peers on 3 instances`,
    measured: `p50 ${formatMs(p50)}, p99 ${formatMs(p99)}`,
    baseline: `single registry p50 ${formatMs(base50)}, p99 ${formatMs(percentile(single, 99))}`,
    ratio: `${(p50 / base50).toFixed(2)}×`,
    target: "p50 ≤ 2× single",
    met: p50 <= 2 * base50,
    details: { peers, trials, instances: 3, latenciesMs: clustered, singleMs: single },
  };
}
