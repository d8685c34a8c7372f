/** One authenticated, encrypted connection to another peer, whatever path it took. */

import type { LinkMessage } from "../../protocol/mod.ts";
import type { SealedLinkChannel } from "./link_handshake.ts";
import type { LinkPath } from "./link_paths.ts";

/** Who opened the link. */
export type LinkDirection = "outgoing" | "incoming";

/** A link whose other end proved it is `peerId`. */
export class DirectLink {
  readonly peerId: string;
  readonly direction: LinkDirection;
  /** How the connection under it was made: dialled, punched or relayed. */
  readonly path: LinkPath;
  readonly channel: SealedLinkChannel;
  /** When a frame last went either way (`performance.now()`), for the idle timeout. */
  lastActiveAt = performance.now();

  constructor(
    channel: SealedLinkChannel,
    peerId: string,
    direction: LinkDirection,
    path: LinkPath = "direct",
  ) {
    this.channel = channel;
    this.peerId = peerId;
    this.direction = direction;
    this.path = path;
  }

  get closed(): boolean {
    return this.channel.stream.closed;
  }

  send(message: LinkMessage): void {
    this.lastActiveAt = performance.now();
    this.channel.send(message);
  }

  /**
   * Resolves when every message with bytes sent so far (a file chunk) has
   * left the link's queue, behind any chat; a sender of chunks waits for it
   * before reading the next from disk.
   */
  bulkSent(): Promise<void> {
    return this.channel.bulkSent();
  }

  close(): void {
    this.channel.close();
  }
}
