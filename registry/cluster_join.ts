/**
 * Joining a cluster at start-up: where peers should dial this instance, what
 * it is called, and the shared table itself — imported only here, only when
 * a cluster is asked for, so a single registry never loads the Redis client.
 */

import { formatHostPort, type HostPort } from "../protocol/mod.ts";
import type { Logger } from "../log/mod.ts";
import { redactedClusterUrl } from "./cluster_url.ts";
import type { ClusterOptions, SharedRoster } from "./shared_roster.ts";

/** The cluster could not be joined: unreachable engine, bad password, no address to announce. */
export class ClusterJoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** What the registry hands over when joining. */
export interface JoinSettings {
  /** The listener's bound address. */
  bound: HostPort;
  heartbeatMs: number;
  evictAfter: number;
  flushIntervalMs?: number;
  logger: Logger;
  onSent: (kind: "delta" | "snapshot", frames: number) => void;
}

/** True for `0.0.0.0` and `::`, which no peer can dial. */
export function isWildcard(hostname: string): boolean {
  return hostname === "0.0.0.0" || hostname === "::" || hostname === "";
}

/** Connects to the engine and joins its list. Throws {@linkcode ClusterJoinError}. */
export async function joinCluster(
  options: ClusterOptions,
  settings: JoinSettings,
): Promise<SharedRoster> {
  if (options.announce === undefined && isWildcard(settings.bound.hostname)) {
    throw new ClusterJoinError(
      `This instance listens on ${formatHostPort(settings.bound)}, which peers cannot dial: ` +
        "say where they should with --announce HOST:PORT",
    );
  }
  const announce = options.announce ?? formatHostPort(settings.bound);
  const instance = options.instance ?? announce;
  const { RedisRoster, EngineUnreachable } = await import("./cluster/mod.ts");
  try {
    return await RedisRoster.join({
      url: options.url,
      instance,
      announce,
      heartbeatMs: settings.heartbeatMs,
      evictAfter: settings.evictAfter,
      flushIntervalMs: settings.flushIntervalMs,
      logger: settings.logger,
      onSent: settings.onSent,
    });
  } catch (error) {
    if (error instanceof EngineUnreachable) throw new ClusterJoinError(error.message);
    if (error instanceof Error && /WRONGPASS|NOAUTH|NOPERM|NOSCRIPT|ERR/.test(error.message)) {
      throw new ClusterJoinError(
        `The cluster engine at ${redactedClusterUrl(options.url)} refused us: ${error.message}`,
      );
    }
    throw error;
  }
}
