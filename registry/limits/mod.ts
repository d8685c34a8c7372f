/**
 * The registry's limits against abuse: the shared counters of `limits/`
 * (token buckets, per-minute budgets per IP, open counters, networks of an
 * address) and the gate that keeps a snapshot from being an amplifier. The
 * registry wires them in; their values are flags, shown on the dashboard and
 * in `/metrics`.
 *
 * @module
 */

export {
  DEFAULT_NETWORK_PREFIXES,
  networkOf,
  type NetworkPrefixes,
  OpenCounter,
  PerMinuteBudget,
  TokenBucket,
} from "../../limits/mod.ts";
export { SnapshotGate, type SnapshotGateOptions, type SnapshotSession } from "./snapshot_gate.ts";
