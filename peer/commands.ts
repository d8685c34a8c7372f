/**
 * What a user can ask a peer to do, parsed from either interface: JSON lines
 * (`--json`) or slash commands typed at the terminal. Both produce the same
 * {@linkcode PeerCommand}, and {@linkcode runCommand} carries it out.
 */

import type { Peer } from "./peer.ts";

/** A request to the peer. */
export type PeerCommand =
  | { cmd: "send"; to: string; text: string }
  | { cmd: "broadcast"; text: string }
  | { cmd: "peers" }
  | { cmd: "history"; with: string; limit: number }
  | { cmd: "read"; id: string }
  | { cmd: "outbox" }
  | { cmd: "cancel"; id: string }
  | { cmd: "trust"; name: string }
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

const JSON_COMMANDS =
  '"send", "broadcast", "peers", "history", "read", "outbox", "cancel", "trust" or "quit"';

/** Parses one `--json` input line. Throws {@linkcode CommandError}. */
export function parseJsonCommand(line: string): PeerCommand {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new CommandError(`Command is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CommandError(`Command must be a JSON object like {"cmd":"peers"}`);
  }
  const command = value as Record<string, unknown>;
  const text = (field: string) => {
    const v = command[field];
    if (typeof v !== "string" || v === "") {
      throw new CommandError(`Command "${command.cmd}" needs "${field}" as a non-empty string`);
    }
    return v;
  };
  switch (command.cmd) {
    case "send":
      return { cmd: "send", to: text("to"), text: text("text") };
    case "broadcast":
      return { cmd: "broadcast", text: text("text") };
    case "peers":
      return { cmd: "peers" };
    case "history":
      return { cmd: "history", with: text("with"), limit: historyLimit(command.limit) };
    case "read":
      return { cmd: "read", id: text("id") };
    case "outbox":
      return { cmd: "outbox" };
    case "cancel":
      return { cmd: "cancel", id: text("id") };
    case "trust":
      return { cmd: "trust", name: text("name") };
    case "quit":
      return { cmd: "quit" };
    case undefined:
      throw new CommandError(`Command needs "cmd": one of ${JSON_COMMANDS}`);
    default:
      throw new CommandError(
        `Unknown command ${JSON.stringify(command.cmd)}; use ${JSON_COMMANDS}`,
      );
  }
}

function historyLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_HISTORY_LIMIT) {
    throw new CommandError(`"limit" must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
  }
  return value as number;
}

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
  /cancel ID             withdraw an undelivered message (ID from /outbox)
  /trust NAME            accept NAME's new key after a "key changed" warning
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
      if (!withWhom) throw new CommandError("Usage: /history NAME [N]");
      const limit = count === "" ? DEFAULT_HISTORY_LIMIT : Number(count);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
        throw new CommandError(`N must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
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
      const name = rest.trim();
      if (!name) throw new CommandError("Usage: /trust NAME");
      return { kind: "command", command: { cmd: "trust", name } };
    }
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

function splitFirst(text: string): [string, string] {
  const trimmed = text.trimStart();
  const space = trimmed.search(/\s/);
  if (space < 0) return [trimmed, ""];
  return [trimmed.slice(0, space), trimmed.slice(space + 1).trim()];
}

/** Carries out a command; `quit` is left to the caller (it ends the interface). */
export async function runCommand(peer: Peer, command: PeerCommand): Promise<void> {
  switch (command.cmd) {
    case "send":
      await peer.send(command.to, command.text);
      return;
    case "broadcast":
      await peer.broadcast(command.text);
      return;
    case "peers":
      peer.listPeers();
      return;
    case "history":
      await peer.history(command.with, command.limit);
      return;
    case "read":
      await peer.markRead(command.id);
      return;
    case "outbox":
      peer.listOutbox();
      return;
    case "cancel":
      await peer.cancel(command.id);
      return;
    case "trust":
      await peer.trust(command.name);
      return;
    case "quit":
      return;
  }
}
