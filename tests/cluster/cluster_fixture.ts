/**
 * Cluster instances in the test process: real registries sharing a table on
 * a real Redis (started by the test), with fast heartbeats.
 */

import { type HostPort, parseHostPort } from "../../protocol/mod.ts";
import { Registry, type RegistryOptions } from "../../registry/mod.ts";
import type { RedisServer } from "../support/redis_server.ts";

/**
 * Heartbeats every second, eviction after ten: the simulated peers here do
 * not heartbeat, and a loaded machine must not get them evicted mid-test
 * (failures are tested end to end, with real peers, in failover_test.ts).
 */
const HEARTBEAT_MS = 1000;
const EVICT_AFTER = 10;

/** A cluster instance on `127.0.0.1:0` joined to `redis`; `options` override. */
export async function startInstance(
  redis: RedisServer,
  instance: string,
  options: RegistryOptions = {},
): Promise<Registry> {
  return await Registry.start({
    listen: { hostname: "127.0.0.1", port: 0 },
    heartbeatMs: HEARTBEAT_MS,
    evictAfter: EVICT_AFTER,
    cluster: { url: redis.url, instance },
    ...options,
  });
}

/** Where peers reach `registry`. */
export function addressOf(registry: Registry): HostPort {
  return parseHostPort(registry.info().listen);
}
