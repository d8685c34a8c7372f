/**
 * A peer registered on another instance of the cluster, as this instance's
 * punch broker and relay switchboard see it: what they send it goes over the
 * meeting bus to its instance, which hands it to the peer's session there.
 */

import type { RendezvousToPeer } from "../../protocol/mod.ts";
import type { MeetingSession } from "./meeting_session.ts";

/** The far end of a try or circuit whose peer is registered elsewhere. */
export class RemoteSession implements MeetingSession {
  readonly peerId: string;
  /** The instance the peer is registered on. */
  readonly instance: string;
  /** Where that instance sees the peer's registry connection come from (its latest word). */
  observedAddress: string;
  /** When the peer's instance last passed on something of its (performance.now()). */
  lastHeardAt = performance.now();
  readonly #send: (message: RendezvousToPeer) => void;

  constructor(
    at: { instance: string; peerId: string; observed: string },
    send: (message: RendezvousToPeer) => void,
  ) {
    this.instance = at.instance;
    this.peerId = at.peerId;
    this.observedAddress = at.observed;
    this.#send = send;
  }

  /**
   * Nothing waits here: the peer's own instance writes to its socket, and a
   * receiver that falls behind there closes its circuit (see InstanceBridge).
   */
  get backlogBytes(): number {
    return 0;
  }

  send(message: RendezvousToPeer): void {
    this.#send(message);
  }

  flushed(): Promise<void> {
    return Promise.resolve();
  }
}
