/**
 * Registries sharing one peer table on Redis. Each instance keeps its own
 * peers' connections and heartbeats; the table on Redis decides who holds an
 * ID and a name across the cluster, orders every change into one sequence
 * (`epoch`, `seq`) and tells every instance, which publishes it to its peers.
 * Loaded only with `--cluster`: without it nothing here (nor the Redis
 * client) is imported. The keys, scripts and failure cases are in
 * docs/CLUSTER.md.
 *
 * @module
 */

export { RedisRoster, type RedisRosterOptions } from "./redis_roster.ts";
export { EngineUnreachable } from "./engine.ts";
