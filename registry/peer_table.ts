/** Who is online: peers by ID, and which ID holds each name. */

import { nameKey } from "../protocol/mod.ts";
import type { PeerRecord } from "./view.ts";

/** A registered peer and the session it is connected through. */
export interface TableEntry<Session> {
  record: PeerRecord;
  session: Session;
  /** In a cluster: the token fencing this session's writes to the shared table. */
  token?: string;
}

/**
 * The online peers. A name belongs to at most one online ID (compared by
 * {@linkcode nameKey}); insertion order is registration order.
 */
export class PeerTable<Session> {
  #byId = new Map<string, TableEntry<Session>>();
  #idByName = new Map<string, string>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): TableEntry<Session> | undefined {
    return this.#byId.get(id);
  }

  /** The ID currently holding `name`, if any. */
  holderOf(name: string): string | undefined {
    return this.#idByName.get(nameKey(name));
  }

  /** Adds or replaces the entry for `entry.record.id`. */
  set(entry: TableEntry<Session>): void {
    const previous = this.#byId.get(entry.record.id);
    if (previous) {
      this.#idByName.delete(nameKey(previous.record.name));
      // Re-inserting keeps "oldest session first" true after a reconnect.
      this.#byId.delete(entry.record.id);
    }
    this.#byId.set(entry.record.id, entry);
    this.#idByName.set(nameKey(entry.record.name), entry.record.id);
  }

  delete(id: string): TableEntry<Session> | undefined {
    const entry = this.#byId.get(id);
    if (!entry) return undefined;
    this.#byId.delete(id);
    this.#idByName.delete(nameKey(entry.record.name));
    return entry;
  }

  values(): IterableIterator<TableEntry<Session>> {
    return this.#byId.values();
  }
}
