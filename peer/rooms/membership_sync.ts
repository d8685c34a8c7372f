/**
 * Gets memberships where they must go without an outbox of their own: what
 * is owed is worked out from the room book each time a link to a peer opens
 * (or the peer is listed again), so nothing is queued that could go stale.
 * The creator owes each member — and each former member until it has seen
 * its removal — every version it has not acknowledged; a member that asked
 * to leave owes the creator its `room_leave` until a version without it
 * arrives. Pushes are idempotent: a version that arrives twice is
 * acknowledged twice and changes nothing.
 */

import { type PeerInfo, shortId } from "../../protocol/mod.ts";
import type { Logger } from "../../log/mod.ts";
import { type DirectLink, LinkError, type LinkPool } from "../link/mod.ts";
import type { PeerLookup } from "../delivery/mod.ts";
import type { RoomBook, RoomRecord } from "./room_book.ts";

/** Options for {@linkcode MembershipSync}. */
export interface MembershipSyncOptions {
  me: string;
  book: RoomBook;
  links: LinkPool;
  directory: PeerLookup;
  logger: Logger;
}

/** Sends what the room book says is owed to a peer. */
export class MembershipSync {
  readonly #options: MembershipSyncOptions;
  readonly #dials = new Set<Promise<unknown>>();

  constructor(options: MembershipSyncOptions) {
    this.#options = options;
  }

  /** A link to a peer opened: send it everything owed. */
  linkOpened(link: DirectLink): void {
    const { book, me } = this.#options;
    for (const record of book.list()) {
      const room = record.membership;
      if (owesMembership(record, me, link.peerId)) link.send({ type: "room_state", room });
      if (owesLeave(record, me) && room.creator === link.peerId) {
        link.send({ type: "room_leave", room: room.id });
      }
    }
  }

  /** Sends what is owed to each of `peerIds` now, dialling those listed online. */
  reach(peerIds: Iterable<string>): void {
    const { book, me, links, directory } = this.#options;
    for (const peerId of new Set(peerIds)) {
      if (peerId === me) continue;
      const owed = book.list().some((record) =>
        owesMembership(record, me, peerId) ||
        (owesLeave(record, me) && record.membership.creator === peerId)
      );
      if (!owed) continue;
      const link = links.openLink(peerId);
      if (link) {
        this.linkOpened(link);
        continue;
      }
      const listed = directory.get(peerId);
      if (listed) this.#dial(listed);
    }
  }

  /** Waits for dials in progress. */
  async settled(): Promise<void> {
    while (this.#dials.size > 0) await Promise.allSettled(this.#dials);
  }

  /** Opening the link is enough: {@linkcode linkOpened} runs for it. */
  #dial(peer: PeerInfo): void {
    const dial = this.#options.links.linkTo(peer).catch((error) => {
      if (!(error instanceof LinkError)) throw error;
      // Tried again when the peer is listed again or a link to it opens.
      this.#options.logger.debug("room membership not delivered yet", {
        peer: shortId(peer.id),
        reason: error.message,
      });
    }).catch((error) =>
      this.#options.logger.error("room membership push failed", { error: String(error) })
    ).finally(() => this.#dials.delete(dial));
    this.#dials.add(dial);
  }
}

/** True when the creator (`me`) owes `peerId` the room's current version. */
export function owesMembership(record: RoomRecord, me: string, peerId: string): boolean {
  const room = record.membership;
  if (room.creator !== me || peerId === me) return false;
  const concerned = room.members.some((m) => m.id === peerId) ||
    record.local.former.includes(peerId);
  return concerned && (record.local.acked[peerId] ?? 0) < room.version;
}

/** True when this member (`me`) asked to leave and the creator has not applied it yet. */
export function owesLeave(record: RoomRecord, me: string): boolean {
  return record.local.leaving && record.membership.creator !== me &&
    record.membership.members.some((m) => m.id === me);
}
