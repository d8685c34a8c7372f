/**
 * Where two peers that cannot dial each other meet: the registry's
 * rendezvous messages — hole punching and relaying — arrive here from the
 * sessions and are dispatched; the counters go to the dashboard.
 */

import type { RendezvousToRegistry } from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import { InstanceBridge } from "./instance_bridge.ts";
import type { MeetingBus } from "./meeting_bus.ts";
import type { MeetingSession } from "./meeting_session.ts";
import { PunchBroker, type PunchStats } from "./punch_broker.ts";
import { type RelayLimits, type RelayStats, RelaySwitchboard } from "./relay_switchboard.ts";

/** Options for {@linkcode MeetingPoint}. */
export interface MeetingPointOptions {
  /** The session of an online peer, by ID (on this registry). */
  sessionOf(peerId: string): MeetingSession | undefined;
  relay?: RelayLimits;
  /**
   * In a cluster: the bus to the other instances, and where each peer is
   * registered, so that tries and circuits reach peers held elsewhere.
   */
  cluster?: { bus: MeetingBus; instanceOf(peerId: string): string | undefined; logger: Logger };
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
  readonly #bridge: InstanceBridge | undefined;

  constructor(options: MeetingPointOptions) {
    this.#punches = new PunchBroker({ sessionOf: options.sessionOf });
    this.#relay = new RelaySwitchboard({ ...options.relay, sessionOf: options.sessionOf });
    const cluster = options.cluster;
    this.#bridge = cluster && new InstanceBridge({
      bus: cluster.bus,
      instanceOf: cluster.instanceOf,
      sessionOf: options.sessionOf,
      dispatch: (session, message) => void this.#dispatch(session, message),
      ended: (session) => this.#ended(session),
      holds: (session) => this.#punches.holds(session) || this.#relay.holds(session),
      logger: cluster.logger,
    });
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
    if (this.#bridge?.forwards(session, message)) return true;
    return this.#dispatch(session, message);
  }

  #dispatch(session: MeetingSession, message: RendezvousToRegistry): boolean {
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
    this.#bridge?.sessionEnded(session);
    this.#ended(session);
  }

  #ended(session: MeetingSession): void {
    this.#punches.sessionEnded(session);
    this.#relay.sessionEnded(session);
  }

  /** Stops every timer (the registry is shutting down). */
  shutdown(): void {
    this.#relay.shutdown();
    this.#bridge?.shutdown();
  }
}
