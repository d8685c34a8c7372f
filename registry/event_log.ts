/** A bounded, in-memory record of what happened, newest kept. */

import type { RegistryEvent } from "./view.ts";

/** Keeps the last `capacity` events in a ring. */
export class EventLog {
  readonly capacity: number;
  #ring: RegistryEvent[] = [];
  #next = 0;
  #seq = 0;

  constructor(capacity = 1000) {
    this.capacity = capacity;
  }

  /** Stamps `event` with a sequence number and time, stores it, returns it. */
  append(event: Omit<RegistryEvent, "seq" | "at">, at = Date.now()): RegistryEvent {
    const stamped = { seq: ++this.#seq, at, ...event };
    if (this.#ring.length < this.capacity) {
      this.#ring.push(stamped);
    } else {
      this.#ring[this.#next] = stamped;
      this.#next = (this.#next + 1) % this.capacity;
    }
    return stamped;
  }

  /** The newest `limit` events, oldest first. */
  recent(limit = this.capacity): RegistryEvent[] {
    const ordered = this.#ring.length < this.capacity
      ? this.#ring
      : [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
    return ordered.slice(Math.max(0, ordered.length - limit));
  }
}
