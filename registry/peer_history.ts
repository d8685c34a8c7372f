/**
 * What the registry remembers about each peer it has seen: its sessions and
 * the rhythm of its recent heartbeats. Bounded twice over: a few entries per
 * peer, and only the most recently active peers.
 */

import type { LeaveReason } from "../protocol/mod.ts";

/** How one registration ended; `replaced`: the same peer registered anew. */
export type SessionEnd = LeaveReason | "replaced";

/** One registration, from welcome to departure. */
export interface SessionRecord {
  connectedAt: number;
  endedAt?: number;
  endReason?: SessionEnd;
  address: string;
  /** The reconnect count the peer reported when it registered. */
  reconnects: number;
  version: string;
}

/** A peer's recent past. */
export interface PeerHistory {
  id: string;
  /** The name it used most recently. */
  name: string;
  firstSeenAt: number;
  /** Oldest first; at most {@linkcode PeerHistoryBook.sessionsKept}. */
  sessions: SessionRecord[];
  /** Milliseconds between consecutive heartbeats, oldest first. */
  heartbeatIntervals: number[];
  lastHeartbeatAt?: number;
}

/** Options for {@linkcode PeerHistoryBook}. */
export interface PeerHistoryOptions {
  /** Peers remembered; the least recently active are forgotten first. Default 2000. */
  peersKept?: number;
  sessionsKept?: number;
  intervalsKept?: number;
}

/** Histories by peer ID, least recently active first. */
export class PeerHistoryBook {
  readonly peersKept: number;
  readonly sessionsKept: number;
  readonly intervalsKept: number;
  #byId = new Map<string, PeerHistory>();

  constructor(options: PeerHistoryOptions = {}) {
    this.peersKept = options.peersKept ?? 2000;
    this.sessionsKept = options.sessionsKept ?? 20;
    this.intervalsKept = options.intervalsKept ?? 30;
  }

  /** A copy of the history of `id`, if remembered. */
  get(id: string): PeerHistory | undefined {
    const history = this.#byId.get(id);
    return history && {
      ...history,
      sessions: history.sessions.map((s) => ({ ...s })),
      heartbeatIntervals: [...history.heartbeatIntervals],
    };
  }

  sessionStarted(id: string, name: string, session: SessionRecord): void {
    const history = this.#touch(id, name, session.connectedAt);
    const open = history.sessions.at(-1);
    if (open && open.endedAt === undefined) {
      open.endedAt = session.connectedAt;
      open.endReason = "replaced";
    }
    history.sessions.push(session);
    if (history.sessions.length > this.sessionsKept) history.sessions.shift();
    history.lastHeartbeatAt = session.connectedAt;
  }

  sessionEnded(id: string, reason: SessionEnd, at = Date.now()): void {
    const open = this.#byId.get(id)?.sessions.at(-1);
    if (open && open.endedAt === undefined) {
      open.endedAt = at;
      open.endReason = reason;
    }
  }

  heartbeat(id: string, at: number): void {
    const history = this.#byId.get(id);
    if (!history) return;
    if (history.lastHeartbeatAt !== undefined) {
      history.heartbeatIntervals.push(at - history.lastHeartbeatAt);
      if (history.heartbeatIntervals.length > this.intervalsKept) {
        history.heartbeatIntervals.shift();
      }
    }
    history.lastHeartbeatAt = at;
  }

  #touch(id: string, name: string, at: number): PeerHistory {
    let history = this.#byId.get(id);
    if (history) {
      this.#byId.delete(id); // re-insert: most recently active goes last
      history.name = name;
    } else {
      history = { id, name, firstSeenAt: at, sessions: [], heartbeatIntervals: [] };
      if (this.#byId.size >= this.peersKept) {
        this.#byId.delete(this.#byId.keys().next().value!);
      }
    }
    this.#byId.set(id, history);
    return history;
  }
}
