/**
 * The registry's recent changes, numbered, for the live streams: each
 * membership change and log entry gets the next sequence number and is kept
 * for a while, so a browser that reconnects with `Last-Event-ID` is sent what
 * it missed instead of the whole state again. Heartbeats pass through
 * unnumbered (each stream sums them up per tick).
 */

import type { RegistryChange, RegistryView } from "../registry/mod.ts";

/** Numbered entries kept for resuming streams. */
const KEPT = 2000;

/** A change as the streams hear it: heartbeats unnumbered, the rest with their number. */
export type JournalEntry =
  | { seq: number; change: Exclude<RegistryChange, { kind: "heartbeat" }> }
  | { seq: undefined; change: Extract<RegistryChange, { kind: "heartbeat" }> };

/** Listens to a {@linkcode RegistryView} for as long as the dashboard runs. */
export class LiveJournal {
  readonly epoch: string;
  #head = 0;
  readonly #kept: JournalEntry[] = [];
  readonly #listeners = new Set<(entry: JournalEntry) => void>();

  constructor(view: RegistryView, signal: AbortSignal) {
    this.epoch = view.info().epoch;
    const unsubscribe = view.subscribe((change) => this.#record(change));
    signal.addEventListener("abort", unsubscribe, { once: true });
  }

  /** The number of the newest numbered entry (0 before any). */
  get head(): number {
    return this.#head;
  }

  /** The event ID a stream sends for entry `seq`: unique to this registry run. */
  eventId(seq: number): string {
    return `${this.epoch}.${seq}`;
  }

  /**
   * The entries after the one a browser last saw (its `Last-Event-ID`), or
   * `undefined` if that ID is from another run or too old to resume from.
   */
  since(lastEventId: string | undefined): JournalEntry[] | undefined {
    const match = /^(.+)\.(\d+)$/.exec(lastEventId ?? "");
    if (!match || match[1] !== this.epoch) return undefined;
    const seq = Number(match[2]);
    if (seq > this.#head) return undefined;
    const oldest = this.#kept[0]?.seq ?? this.#head + 1;
    if (seq < oldest - 1) return undefined;
    return this.#kept.filter((entry) => entry.seq! > seq);
  }

  /** Calls `listener` for each change from now on, until the returned function is called. */
  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #record(change: RegistryChange): void {
    let entry: JournalEntry;
    if (change.kind === "heartbeat") {
      entry = { seq: undefined, change };
    } else {
      entry = { seq: ++this.#head, change };
      this.#kept.push(entry);
      if (this.#kept.length > KEPT) this.#kept.shift();
    }
    for (const listener of this.#listeners) listener(entry);
  }
}
