/**
 * Where two peers that cannot dial each other meet: the registry's
 * rendezvous messages — hole punching and relaying — arrive here from the
 * sessions and are dispatched; the counters go to the dashboard.
 */

import type { RendezvousToRegistry } from "../../protocol/mod.ts";
import type { MeetingSession } from "./meeting_session.ts";
import { PunchBroker, type PunchStats } from "./punch_broker.ts";
import { type RelayLimits, type RelayStats, RelaySwitchboard } from "./relay_switchboard.ts";

/** Options for {@linkcode MeetingPoint}. */
export interface MeetingPointOptions {
  /** The session of an online peer, by ID (on this registry). */
  sessionOf(peerId: string): MeetingSession | undefined;
  relay?: RelayLimits;
}

/** Counters of hole punching and relaying. */
export interface RendezvousStats {
  punches: PunchStats;
  relay: RelayStats;
}

/** Hole punching and relaying for the peers of one registry. */
export class MeetingPoint {
  readonly #punches: PunchBroker;
  readonly #relay: RelaySwitchboard;

  constructor(options: MeetingPointOptions) {
    this.#punches = new PunchBroker({ sessionOf: options.sessionOf });
    this.#relay = new RelaySwitchboard({ ...options.relay, sessionOf: options.sessionOf });
  }

  stats(): RendezvousStats {
    return { punches: this.#punches.stats, relay: this.#relay.stats };
  }

  /**
   * A rendezvous message from a registered session. Returns false for
   * `relay_data` that belongs to no open circuit of the session: the caller
   * charges such a frame like any other, where a circuit's bytes are paid
   * for by the circuit's rate.
   */
  handle(session: MeetingSession, message: RendezvousToRegistry): boolean {
    switch (message.type) {
      case "punch_request":
        this.#punches.request(session, message);
        return true;
      case "punch_result":
        this.#punches.result(session, message);
        return true;
      case "relay_open":
        this.#relay.open(session, message);
        return true;
      case "relay_accept":
        this.#relay.accept(session, message);
        return true;
      case "relay_data":
        return this.#relay.data(session, message);
      case "relay_close":
        this.#relay.close(session, message);
        return true;
    }
  }

  /** A session ended: its circuits close, its punch tries are forgotten. */
  sessionEnded(session: MeetingSession): void {
    this.#punches.sessionEnded(session);
    this.#relay.sessionEnded(session);
  }

  /** Stops every timer (the registry is shutting down). */
  shutdown(): void {
    this.#relay.shutdown();
  }
}
