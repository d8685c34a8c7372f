/**
 * What a user can ask a peer to do. The terminal and `--json` interfaces
 * parse their input into the same {@linkcode PeerCommand};
 * {@linkcode runCommand} carries it out and turns the answer (or the
 * refusal) into the event line both interfaces render.
 */

import type { PeerEvent } from "./events.ts";
import type { Peer } from "./peer.ts";
import { PeerError } from "./peer_error.ts";

/** A request to the peer. */
export type PeerCommand =
  | { cmd: "send"; to: string; text: string }
  | { cmd: "broadcast"; text: string }
  | { cmd: "peers" }
  | { cmd: "history"; with: string; limit: number }
  | { cmd: "read"; id: string }
  | { cmd: "outbox" }
  | { cmd: "cancel"; id: string }
  /** `id`: the new key's ID (or its first 8+ characters), as `key_changed` showed it. */
  | { cmd: "trust"; name: string; id: string }
  /** Files: offer `path` to `to`; answer an offer (`id`: its ID or a unique 6+ prefix); list. */
  | { cmd: "send_file"; to: string; path: string }
  | { cmd: "accept_file"; id: string; dir?: string }
  | { cmd: "decline_file"; id: string }
  | { cmd: "files" }
  /** `members`: names, IDs or ID prefixes. */
  | { cmd: "room_create"; name: string; members: string[] }
  | { cmd: "room_invite"; room: string; members: string[] }
  | { cmd: "room_leave"; room: string }
  | { cmd: "room_send"; room: string; text: string }
  | { cmd: "rooms" }
  | { cmd: "room_history"; room: string; limit: number }
  | { cmd: "quit" };

/** A command line that cannot be understood; its message is shown as is. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** Default and largest `limit` for history requests. */
export const DEFAULT_HISTORY_LIMIT = 20;
export const MAX_HISTORY_LIMIT = 10_000;

/**
 * Carries out a command and returns its answer as the event to render
 * (`peers`, `history`, `outbox`, `marked_read`, `file_offered`, `files`, `rooms`,
 * `room_history`, or `error` for a refused request), or
 * `undefined` when the news that follows says it all (`sent`, `trusted`, …).
 * `quit` is left to the caller (it ends the interface). Anything but a
 * {@linkcode PeerError} is rethrown.
 */
export async function runCommand(peer: Peer, command: PeerCommand): Promise<PeerEvent | undefined> {
  try {
    switch (command.cmd) {
      case "send":
        await peer.send(command.to, command.text);
        return undefined;
      case "broadcast":
        await peer.broadcast(command.text);
        return undefined;
      case "peers":
        return { event: "peers", peers: peer.peers(), links: peer.linkPaths() };
      case "history": {
        const answer = await peer.history(command.with, command.limit);
        return {
          event: "history",
          with: answer.with,
          messages: answer.messages,
          unverified: answer.unverified,
        };
      }
      case "read": {
        const from = await peer.markRead(command.id);
        return { event: "marked_read", id: command.id, from };
      }
      case "outbox":
        return { event: "outbox", messages: peer.outbox() };
      case "cancel":
        await peer.cancel(command.id);
        return undefined;
      case "trust":
        await peer.trust(command.name, command.id);
        return undefined;
      case "send_file":
        return await peer.sendFile(command.to, command.path);
      case "accept_file":
        return { event: "files", transfers: [await peer.acceptFile(command.id, command.dir)] };
      case "decline_file":
        return { event: "files", transfers: [await peer.declineFile(command.id)] };
      case "files":
        return { event: "files", transfers: peer.files() };
      // Each room change is news everyone hears (`room`), so it needs no answer.
      case "room_create":
        await peer.createRoom(command.name, command.members);
        return undefined;
      case "room_invite":
        await peer.inviteToRoom(command.room, command.members);
        return undefined;
      case "room_leave":
        await peer.leaveRoom(command.room);
        return undefined;
      case "room_send":
        await peer.postToRoom(command.room, command.text);
        return undefined;
      case "rooms":
        return { event: "rooms", rooms: await peer.rooms() };
      case "room_history": {
        const answer = await peer.roomHistory(command.room, command.limit);
        return { event: "room_history", room: answer.room, messages: answer.messages };
      }
      case "quit":
        return undefined;
    }
  } catch (error) {
    if (!(error instanceof PeerError)) throw error;
    return { event: "error", message: error.message };
  }
}
