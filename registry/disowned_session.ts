/**
 * Ending a session whose peer the shared table took away from this
 * instance: what the peer is told, and what the event log says. Nothing is
 * released — the entry already belongs to someone else, or to no one.
 */

import { ProtocolError } from "../protocol/mod.ts";
import type { PeerSession } from "./peer_session.ts";
import type { DisownReason } from "./shared_roster.ts";
import type { PeerRecord, RegistryEventKind } from "./view.ts";

/** Ends `session` the way `reason` calls for; returns the log entry, if one is due. */
export function endDisowned(
  session: PeerSession,
  record: PeerRecord,
  reason: DisownReason,
): { kind: RegistryEventKind; detail: string } | undefined {
  switch (reason) {
    case "kicked":
      void session.sayGoodbye("kicked");
      return { kind: "kick", detail: "kicked from another instance's dashboard" };
    case "replaced":
      // It registered on another instance: nobody left, this connection is just stale.
      session.close();
      return undefined;
    case "expired":
      void session.channel.refuse(
        new ProtocolError(
          "cluster_unavailable",
          "This registry instance was cut off from the cluster too long and lost its peers; " +
            "register again",
        ),
      );
      return { kind: "evict", detail: "this instance was away too long; register again" };
    case "conflict":
      void session.channel.refuse(
        new ProtocolError(
          "name_taken",
          `Name ${JSON.stringify(record.name)} was claimed by a peer on another instance ` +
            "while the cluster re-formed its list",
        ),
      );
      return { kind: "refuse", detail: "name taken while the cluster re-formed" };
  }
}
