/**
 * What the link layer needs from the registry connection to make links that
 * a plain dial cannot: a way to send punch and relay messages, whether that
 * is possible right now, and how far away the registry is. The registry
 * client provides it; the link layer never sees the rest of that connection.
 */

import type { HostPort, RendezvousToRegistry } from "../../protocol/mod.ts";

/** The registry, as a meeting point for two peers. */
export interface Rendezvous {
  /** The registry this peer is registered with now, or `undefined` while it is not. */
  readonly registry: HostPort | undefined;
  /** The latest round trip to the registry, in milliseconds (0 until measured). */
  readonly roundTripMs: number;
  /**
   * Queues `message` for the registry. Resolves when the connection can take
   * more (so a relay circuit cannot bury heartbeats under a backlog); throws
   * {@linkcode RendezvousUnavailable} while not registered.
   */
  send(message: RendezvousToRegistry): Promise<void>;
}

/** The registry connection is down, so nothing can be arranged through it. */
export class RendezvousUnavailable extends Error {
  constructor(message = "not connected to a registry") {
    super(message);
    this.name = this.constructor.name;
  }
}
