/** One authenticated, encrypted connection to another peer. */

import type { LinkMessage } from "../../protocol/mod.ts";
import type { SealedLinkChannel } from "./link_handshake.ts";

/** Who opened the link. */
export type LinkDirection = "outgoing" | "incoming";

/** A link whose other end proved it is `peerId`. */
export class DirectLink {
  readonly peerId: string;
  readonly direction: LinkDirection;
  readonly channel: SealedLinkChannel;

  constructor(channel: SealedLinkChannel, peerId: string, direction: LinkDirection) {
    this.channel = channel;
    this.peerId = peerId;
    this.direction = direction;
  }

  get closed(): boolean {
    return this.channel.stream.closed;
  }

  send(message: LinkMessage): void {
    this.channel.send(message);
  }

  close(): void {
    this.channel.close();
  }
}
