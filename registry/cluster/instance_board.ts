/**
 * The cluster's instances as the last tick saw them, on this instance's
 * clock: Redis stamps liveness with its own time, and the offset between the
 * two clocks is taken from every answer that carries Redis's time.
 */

import type { InstanceStatus } from "../view.ts";
import type { InstanceRecord } from "./scripts.ts";

/** Instances, their health, and the clock they are measured by. */
export class InstanceBoard {
  readonly #self: string;
  readonly #ttlMs: number;
  #records: InstanceRecord[] = [];
  /** Redis clock minus ours. */
  #offset = 0;
  /** Others healthy at the last good tick: whom a new epoch waits for. */
  #lastHealthy = new Set<string>();

  constructor(self: string, ttlMs: number) {
    this.#self = self;
    this.#ttlMs = ttlMs;
  }

  /** Takes Redis's time (ms) from an answer. */
  clock(redisNowMs: number): void {
    this.#offset = redisNowMs - Date.now();
  }

  /** Takes the instances a tick returned; `engineUp` says whether they can be trusted as healthy. */
  update(records: InstanceRecord[], engineUp: boolean): void {
    this.#records = records;
    if (engineUp) {
      this.#lastHealthy = new Set(
        this.statuses(true).filter((i) => i.healthy && i.name !== this.#self).map((i) => i.name),
      );
    }
  }

  /** Every instance seen recently; none is healthy while the engine is down. */
  statuses(engineUp: boolean): InstanceStatus[] {
    const now = Date.now();
    return this.#records.map((instance) => {
      const lastSeenAt = (instance.lastSeen ?? 0) - this.#offset;
      return {
        name: instance.name,
        address: instance.address,
        peers: instance.peers,
        lastSeenAt,
        healthy: engineUp && now - lastSeenAt < this.#ttlMs,
      };
    }).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The other instances that were healthy before the engine was lost. */
  get lastHealthy(): Set<string> {
    return this.#lastHealthy;
  }

  /** Names of the instances that have claimed their peers in `epoch`. */
  seededIn(epoch: string): Set<string> {
    return new Set(this.#records.filter((i) => i.seeded === epoch).map((i) => i.name));
  }

  /** When each instance last showed it was alive, on our clock. */
  lastSeen(): Map<string, number> {
    return new Map(this.#records.map((i) => [i.name, (i.lastSeen ?? 0) - this.#offset]));
  }
}
