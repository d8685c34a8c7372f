/** What the rendezvous side of the registry needs of one peer's registry session. */

import type { RendezvousToPeer } from "../../protocol/mod.ts";

/** A registered peer's connection, as hole punching and relaying see it. */
export interface MeetingSession {
  /** The registered peer's ID (`undefined` before registration). */
  readonly peerId: string | undefined;
  /**
   * `HOST:PORT` this connection comes from, as observed here: for a peer
   * behind a NAT, the public mapping of its punch port.
   */
  readonly observedAddress: string;
  /** Bytes queued for the peer and not yet handed to the kernel. */
  readonly backlogBytes: number;
  send(message: RendezvousToPeer): void;
  /** Resolves once what is queued for the peer has been handed to the kernel. */
  flushed(): Promise<void>;
}
