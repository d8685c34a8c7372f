/**
 * The registry's limits against abuse, each a small counter with one job:
 * token buckets for frames and bytes per second, per-minute budgets (for
 * registrations and snapshot bytes per IP), counters of open connections, the
 * network an address belongs to (an IPv4 /24 or IPv6 /64, so one attacker
 * cannot dodge a per-network cap with many addresses), and the gate that keeps
 * a snapshot from being an amplifier. The registry wires them in; their
 * values are flags, shown on the dashboard and in `/metrics`.
 *
 * @module
 */

export { OpenCounter, PerMinuteBudget, TokenBucket } from "./rate_limits.ts";
export { DEFAULT_NETWORK_PREFIXES, networkOf, type NetworkPrefixes } from "./network_prefix.ts";
export { SnapshotGate, type SnapshotGateOptions, type SnapshotSession } from "./snapshot_gate.ts";
