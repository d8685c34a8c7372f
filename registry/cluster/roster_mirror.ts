/**
 * This instance's copy of the shared table, kept at one sequence number:
 * loaded whole at start, then moved forward one stream entry at a time. Each
 * step says what peers must be told (public changes, no-op updates dropped)
 * and what happened to whose entry (for ownership checks and dashboards).
 */

import type { LeaveReason, PeerChange, PeerInfo } from "../../protocol/mod.ts";
import type { ClusterOp, ClusterRecord } from "./scripts.ts";

/** What one op did to the table. */
export type MirrorEvent =
  | { kind: "joined" | "updated"; record: ClusterRecord; previous?: ClusterRecord }
  | { kind: "left"; record: ClusterRecord; reason: LeaveReason };

/** The outcome of applying ops or loading a whole table. */
export interface MirrorStep {
  /** What peers holding the list before must be told. */
  changes: PeerChange[];
  events: MirrorEvent[];
}

/** The shared table as of {@linkcode RosterMirror.seq}. */
export class RosterMirror {
  #records = new Map<string, ClusterRecord>();
  #epoch = "";
  #seq = 0;

  get epoch(): string {
    return this.#epoch;
  }

  get seq(): number {
    return this.#seq;
  }

  get size(): number {
    return this.#records.size;
  }

  get(id: string): ClusterRecord | undefined {
    return this.#records.get(id);
  }

  /** Records, oldest registration first. */
  values(): IterableIterator<ClusterRecord> {
    return this.#records.values();
  }

  /** The list as peers see it. */
  publicList(): PeerInfo[] {
    return [...this.#records.values()].map(publicInfo);
  }

  /**
   * Replaces the table with a whole one read at `(epoch, seq)`. Within the
   * same epoch the returned changes are the net difference; across epochs
   * peers get a snapshot instead, so only the events matter.
   */
  load(epoch: string, seq: number, records: ClusterRecord[]): MirrorStep {
    const next = new Map<string, ClusterRecord>();
    for (const record of records.toSorted((a, b) => a.connectedAt - b.connectedAt)) {
      next.set(record.id, record);
    }
    const step: MirrorStep = { changes: [], events: [] };
    for (const [id, record] of this.#records) {
      if (!next.has(id)) {
        // Gone while we were not reading: the reason was not kept.
        step.changes.push({ op: "left", id, reason: "timeout" });
        step.events.push({ kind: "left", record, reason: "timeout" });
      }
    }
    for (const [id, record] of next) {
      const previous = this.#records.get(id);
      if (!previous) {
        step.changes.push({ op: "joined", peer: publicInfo(record) });
        step.events.push({ kind: "joined", record });
      } else if (previous.token !== record.token) {
        if (differs(previous, record)) {
          step.changes.push({ op: "updated", peer: publicInfo(record) });
        }
        step.events.push({ kind: "updated", record, previous });
      }
    }
    this.#records = next;
    this.#epoch = epoch;
    this.#seq = seq;
    return step;
  }

  /** Applies the ops of stream entry `seq` (the one after {@linkcode seq}). */
  apply(seq: number, ops: ClusterOp[]): MirrorStep {
    const step: MirrorStep = { changes: [], events: [] };
    for (const op of ops) {
      if (op.op === "left") {
        const record = this.#records.get(op.id);
        if (!record) continue;
        this.#records.delete(op.id);
        step.changes.push({ op: "left", id: op.id, reason: op.reason });
        step.events.push({ kind: "left", record, reason: op.reason });
        continue;
      }
      const record = op.peer;
      const previous = this.#records.get(record.id);
      // Re-inserting keeps "oldest registration first", as a single registry does.
      this.#records.delete(record.id);
      this.#records.set(record.id, record);
      if (!previous) {
        step.changes.push({ op: "joined", peer: publicInfo(record) });
        step.events.push({ kind: "joined", record });
      } else {
        // A peer that moved to another instance with the same address changes nothing peers see.
        if (differs(previous, record)) {
          step.changes.push({ op: "updated", peer: publicInfo(record) });
        }
        step.events.push({ kind: "updated", record, previous });
      }
    }
    this.#seq = seq;
    return step;
  }
}

/** What every peer sees of a record. */
export function publicInfo(record: ClusterRecord): PeerInfo {
  return { id: record.id, name: record.name, address: record.address };
}

function differs(a: ClusterRecord, b: ClusterRecord): boolean {
  return a.name !== b.name || a.address !== b.address;
}
