/**
 * How the instances of a cluster pass rendezvous messages to each other
 * (implemented on Redis pub/sub in registry/cluster/). Without a cluster
 * there is none, and nothing here is used.
 */

import type { MeetingEnvelope } from "../../protocol/mod.ts";

/** A channel to every instance of the cluster, and this instance's inbox. */
export interface MeetingBus {
  /** This instance's name, as the shared table records it for its peers. */
  readonly instance: string;
  /**
   * Sends `envelope` to `instance`. Envelopes to one instance arrive in the
   * order sent. Rejects when it cannot be delivered (the engine is down, or
   * no such instance listens).
   */
  send(instance: string, envelope: MeetingEnvelope): Promise<void>;
  /** Starts handing this instance's envelopes to `deliver` (validated). */
  listen(deliver: (envelope: MeetingEnvelope) => void): void;
}
