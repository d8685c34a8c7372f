/**
 * Cluster instances in the test process: real registries sharing a table on
 * a real Redis (started by the test), with fast heartbeats.
 */

import { type HostPort, parseHostPort } from "../../protocol/mod.ts";
import { Registry, type RegistryOptions } from "../../registry/mod.ts";
import { EVICT_AFTER, HEARTBEAT_MS } from "../registry/registry_fixture.ts";
import type { RedisServer } from "../support/redis_server.ts";

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
    registerTimeoutMs: 2000,
    cluster: { url: redis.url, instance },
    ...options,
  });
}

/** Where peers reach `registry`. */
export function addressOf(registry: Registry): HostPort {
  return parseHostPort(registry.info().listen);
}
