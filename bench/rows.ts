/**
 * Every row the report has, in order, whether or not it has been measured:
 * a row nobody has measured yet still shows, as "not measured yet", with the
 * target it will be held to. The numbers are the lead's (one owner per row);
 * a measured row's own result says what and against what it was measured.
 */

/** A row of docs/BENCHMARKS.md before any measurement fills it. */
export interface BenchRow {
  id: number;
  what: string;
  target: string;
}

export const BENCHMARK_ROWS: readonly BenchRow[] = [
  {
    id: 1,
    what: "direct-link round trip (send → delivered), 100-byte text",
    target: "p50 ≤ 1.5× floor",
  },
  {
    id: 2,
    what: "pipelined messages per second on one link",
    target: "≥ 50,000 msg/s and ≥ 50% of raw",
  },
  { id: 3, what: "join visible to all", target: "p50 ≤ 5 ms, p99 ≤ 20 ms (100 peers)" },
  {
    id: 4,
    what: "registry capacity: 10,000 peers heart-beating",
    target: "≥ 10,000 heartbeats/s; ≤ 8 KiB RSS and ≤ 4 KiB heap per peer",
  },
  { id: 5, what: "burst: 1000 peers join within 1 s", target: "all know all ≤ 2 s" },
  { id: 6, what: "failure detection", target: "evicted ≤ (evict-after + 1) × interval" },
  { id: 7, what: "registry restart with 1,000 peers", target: "all re-registered ≤ 5 s" },
  { id: 8, what: "start-up: process start → registry listening", target: "≤ 2× empty" },
  { id: 9, what: "cluster join visible to all, 3 instances", target: "p50 ≤ 2× single" },
  {
    id: 10,
    what: "cluster failover: 1 of 3 instances killed",
    target: "all back ≤ 3 s; 0 false leaves",
  },
  { id: 11, what: "cluster capacity: 3 instances heart-beating", target: "≥ 15,000 heartbeats/s" },
  {
    id: 12,
    what: "file transfer throughput, 256 MiB, encrypted and hashed",
    target: "≥ 50% of the slower of raw TCP and sha256 alone",
  },
  {
    id: 13,
    what: "chat round trip during a 1 GiB file transfer",
    target: "(reported against an idle link)",
  },
  {
    id: 14,
    what: "first message behind a port-preserving NAT (punched link)",
    target: "delivered ≤ 3 s after send",
  },
  {
    id: 15,
    what: "first message behind a symmetric NAT (relayed link)",
    target: "delivered ≤ 5 s after send",
  },
  { id: 16, what: "relayed link throughput", target: "(reported against a direct link)" },
];
