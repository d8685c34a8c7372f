/** Lines typed at the terminal: slash commands, `@NAME TEXT`, and chat to the `/chat` partner. */

import {
  CommandError,
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
  type PeerCommand,
} from "../peer/mod.ts";

/** What a line typed at the terminal asks for. */
export type TerminalInput =
  | { kind: "command"; command: PeerCommand }
  | { kind: "chat"; with: string | undefined }
  | { kind: "help" }
  | { kind: "nothing" };

/** The terminal commands, as `/help` prints them. */
export const TERMINAL_HELP = `Commands:
  /peers                 who is online
  /msg NAME TEXT         send TEXT to NAME (also: @NAME TEXT)
  /chat NAME             talk to NAME: plain lines go to NAME until /chat alone
  /all TEXT              send TEXT to everyone online
  /history NAME [N]      the last N messages with NAME (default ${DEFAULT_HISTORY_LIMIT})
  /outbox                messages not delivered yet (recipient offline)
  /cancel ID             withdraw an undelivered message (ID or its first 6+ characters)
  /trust NAME ID         accept NAME's new key ID (as the "key changed" warning showed it)
  /send NAME PATH        offer the file at PATH to NAME (it waits if NAME is offline)
  /files                 file transfers in progress and done
  /accept ID [DIR]       accept a file offered to you (into DIR, default the download dir)
  /decline ID            decline a file offered to you
  /room create NAME [MEMBER…]   a room of you and MEMBERs (you sign who is in it)
  /room invite ROOM NAME…       add people to a room you created
  /room leave ROOM       leave a room
  /rooms                 your rooms, with unread counts
  #ROOM TEXT             post TEXT to everyone in ROOM (/history #ROOM shows it)
  /help                  this list
  /quit                  leave (others see you go at once)
Plain lines go to your /chat partner; without one, use /msg, @NAME or /all.
NAME may also be a peer ID or its first 6+ characters.`;

/**
 * Parses a line typed at the terminal. `chatWith` is the current `/chat`
 * partner, if any. Throws {@linkcode CommandError} with a one-line reason.
 */
export function parseTerminalLine(line: string, chatWith: string | undefined): TerminalInput {
  const trimmed = line.trim();
  if (trimmed === "") return { kind: "nothing" };
  if (trimmed.startsWith("@")) {
    const [to, text] = splitFirst(trimmed.slice(1));
    if (!to || !text) throw new CommandError("Usage: @NAME TEXT");
    return { kind: "command", command: { cmd: "send", to, text } };
  }
  if (trimmed.startsWith("#")) {
    const [room, text] = splitFirst(trimmed.slice(1));
    if (!room || !text) throw new CommandError("Usage: #ROOM TEXT");
    return { kind: "command", command: { cmd: "room_send", room, text } };
  }
  if (!trimmed.startsWith("/")) {
    if (chatWith === undefined) {
      throw new CommandError(
        "Not sent: pick who gets it with /msg NAME TEXT, @NAME TEXT, /chat NAME or /all TEXT",
      );
    }
    return { kind: "command", command: { cmd: "send", to: chatWith, text: line } };
  }
  const [word, rest] = splitFirst(trimmed.slice(1));
  switch (word.toLowerCase()) {
    case "peers":
    case "who":
      return { kind: "command", command: { cmd: "peers" } };
    case "msg":
    case "m": {
      const [to, text] = splitFirst(rest);
      if (!to || !text) throw new CommandError("Usage: /msg NAME TEXT");
      return { kind: "command", command: { cmd: "send", to, text } };
    }
    case "chat":
      return { kind: "chat", with: rest.trim() || undefined };
    case "all":
      if (!rest.trim()) throw new CommandError("Usage: /all TEXT");
      return { kind: "command", command: { cmd: "broadcast", text: rest } };
    case "history": {
      const [withWhom, count] = splitFirst(rest);
      if (!withWhom) throw new CommandError("Usage: /history NAME [N] or /history #ROOM [N]");
      const limit = count === "" ? DEFAULT_HISTORY_LIMIT : Number(count);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
        throw new CommandError(`N must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
      }
      if (withWhom.startsWith("#") && withWhom.length > 1) {
        return { kind: "command", command: { cmd: "room_history", room: withWhom, limit } };
      }
      return { kind: "command", command: { cmd: "history", with: withWhom, limit } };
    }
    case "outbox":
    case "pending":
      return { kind: "command", command: { cmd: "outbox" } };
    case "cancel": {
      const id = rest.trim();
      if (!id) throw new CommandError("Usage: /cancel ID (see /outbox)");
      return { kind: "command", command: { cmd: "cancel", id } };
    }
    case "trust": {
      const [name, id] = splitFirst(rest);
      if (!name || !id || /\s/.test(id)) {
        throw new CommandError(
          'Usage: /trust NAME ID, with the new key\'s ID as the "key changed" warning showed it',
        );
      }
      return { kind: "command", command: { cmd: "trust", name, id } };
    }
    case "send": {
      const [to, path] = splitFirst(rest);
      if (!to || !path) throw new CommandError("Usage: /send NAME PATH");
      return { kind: "command", command: { cmd: "send_file", to, path } };
    }
    case "files":
      return { kind: "command", command: { cmd: "files" } };
    case "accept": {
      const [id, dir] = splitFirst(rest);
      if (!id) throw new CommandError("Usage: /accept ID [DIR] (see /files)");
      return {
        kind: "command",
        command: dir ? { cmd: "accept_file", id, dir } : { cmd: "accept_file", id },
      };
    }
    case "decline": {
      const id = rest.trim();
      if (!id) throw new CommandError("Usage: /decline ID (see /files)");
      return { kind: "command", command: { cmd: "decline_file", id } };
    }
    case "room":
      return { kind: "command", command: parseRoomCommand(rest) };
    case "rooms":
      return { kind: "command", command: { cmd: "rooms" } };
    case "help":
    case "?":
      return { kind: "help" };
    case "quit":
    case "exit":
      return { kind: "command", command: { cmd: "quit" } };
    default:
      throw new CommandError(`Unknown command /${word}; type /help for the list`);
  }
}

/** `/room create NAME [MEMBER…]`, `/room invite ROOM NAME…`, `/room leave ROOM`. */
function parseRoomCommand(rest: string): PeerCommand {
  const [action, ...words] = rest.split(/\s+/).filter((w) => w !== "");
  switch (action?.toLowerCase()) {
    case "create":
      if (words.length === 0) throw new CommandError("Usage: /room create NAME [MEMBER…]");
      return { cmd: "room_create", name: words[0], members: words.slice(1) };
    case "invite":
      if (words.length < 2) throw new CommandError("Usage: /room invite ROOM NAME…");
      return { cmd: "room_invite", room: words[0], members: words.slice(1) };
    case "leave":
      if (words.length !== 1) throw new CommandError("Usage: /room leave ROOM");
      return { cmd: "room_leave", room: words[0] };
    default:
      throw new CommandError(
        "Usage: /room create NAME [MEMBER…], /room invite ROOM NAME…, " +
          "/room leave ROOM",
      );
  }
}

function splitFirst(text: string): [string, string] {
  const trimmed = text.trimStart();
  const space = trimmed.search(/\s/);
  if (space < 0) return [trimmed, ""];
  return [trimmed.slice(0, space), trimmed.slice(space + 1).trim()];
}
