/**
 * Limits against abuse that both roles use, each a small counter with one
 * job: token buckets (frames and bytes per second on a connection, new
 * connections per second per IP), per-minute budgets per key, counters of
 * open things per key and in total, and the network an address belongs to
 * (an IPv4 /24 or IPv6 /64, so one attacker cannot dodge a per-network cap
 * with many addresses). The registry (`registry/limits/`) and a peer's link
 * listener (`peer/link/`) wire them in; their values are flags.
 *
 * @module
 */

export { OpenCounter, PerMinuteBudget, TokenBucket, TokenBuckets } from "./rate_limits.ts";
export { DEFAULT_NETWORK_PREFIXES, networkOf, type NetworkPrefixes } from "./network_prefix.ts";
