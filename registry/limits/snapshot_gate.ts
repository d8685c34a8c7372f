/**
 * Snapshots are the registry's most expensive answer: a registration of a
 * few hundred bytes, or a `snapshot_request` of 31, makes it send the whole
 * list — a megabyte at 10,000 peers. The gate keeps that from being an
 * amplifier: each session gets at most one snapshot per interval (a request
 * inside it is answered when the interval ends, however often it is
 * repeated), and the snapshots sent to one IP may add up to a byte budget per
 * minute (beyond it they wait for the next minute). At most one snapshot is
 * ever waiting per session, so waiting costs nothing that grows.
 */

import { PerMinuteBudget } from "../../limits/mod.ts";

/** Options for {@linkcode SnapshotGate}. */
export interface SnapshotGateOptions<Session extends SnapshotSession> {
  /** Least time between two snapshots to one session. */
  intervalMs: number;
  /** Snapshot bytes one IP may be sent per minute. */
  bytesPerMinutePerIp: number;
  /** What the next snapshot will weigh, in bytes. */
  snapshotBytes: () => number;
  /** Sends the snapshot (at the publisher's next flush). */
  grant: (session: Session) => void;
  /** A request had to wait (for counters). */
  deferred?: (session: Session, why: "interval" | "budget") => void;
}

/** What the gate needs to know of a session. */
export interface SnapshotSession {
  readonly remoteHost: string;
}

interface SessionState {
  lastAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Decides when each session's snapshot is sent. */
export class SnapshotGate<Session extends SnapshotSession> {
  readonly #options: SnapshotGateOptions<Session>;
  readonly #budget: PerMinuteBudget;
  readonly #sessions = new Map<Session, SessionState>();
  #closed = false;

  constructor(options: SnapshotGateOptions<Session>) {
    this.#options = options;
    this.#budget = new PerMinuteBudget(options.bytesPerMinutePerIp);
  }

  /** Snapshots waiting for their turn now. */
  get waiting(): number {
    let count = 0;
    for (const state of this.#sessions.values()) if (state.timer !== undefined) count++;
    return count;
  }

  /** `session` wants the whole list: now, or as soon as its limits allow. */
  request(session: Session): void {
    if (this.#closed) return;
    let state = this.#sessions.get(session);
    if (!state) this.#sessions.set(session, state = { lastAt: -Infinity, timer: undefined });
    if (state.timer !== undefined) return; // one is already on its way
    const wait = state.lastAt + this.#options.intervalMs - performance.now();
    if (wait > 0) {
      this.#options.deferred?.(session, "interval");
      this.#later(session, state, wait);
      return;
    }
    if (!this.#budget.spend(session.remoteHost, this.#options.snapshotBytes())) {
      this.#options.deferred?.(session, "budget");
      this.#later(session, state, this.#budget.refillsIn() + 1);
      return;
    }
    state.lastAt = performance.now();
    this.#options.grant(session);
  }

  /** The session ended: nothing more is sent to it. */
  forget(session: Session): void {
    const state = this.#sessions.get(session);
    if (state) clearTimeout(state.timer);
    this.#sessions.delete(session);
  }

  /** Stops every waiting timer. */
  close(): void {
    this.#closed = true;
    for (const state of this.#sessions.values()) clearTimeout(state.timer);
    this.#sessions.clear();
  }

  #later(session: Session, state: SessionState, ms: number): void {
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (this.#sessions.get(session) === state) this.request(session);
    }, ms);
  }
}
