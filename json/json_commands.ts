/** `--json` input: one JSON object per line, parsed into a {@linkcode PeerCommand}. */

import {
  CommandError,
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
  type PeerCommand,
} from "../peer/mod.ts";

const JSON_COMMANDS = '"send", "broadcast", "peers", "history", "read", "outbox", "cancel", ' +
  '"trust", "send_file", "accept_file", "decline_file", "files", "room_create", "room_invite", ' +
  '"room_leave", "room_send", "rooms" or "quit"';

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
    case "history": {
      const limit = historyLimit(command.limit);
      // A room by "room", or as "with": "#ROOM" the way /history takes it.
      if (command.room !== undefined) return { cmd: "room_history", room: text("room"), limit };
      const withWhom = text("with");
      if (withWhom.startsWith("#")) return { cmd: "room_history", room: withWhom, limit };
      return { cmd: "history", with: withWhom, limit };
    }
    case "read":
      return { cmd: "read", id: text("id") };
    case "outbox":
      return { cmd: "outbox" };
    case "cancel":
      return { cmd: "cancel", id: text("id") };
    case "trust":
      if (command.id === undefined) {
        throw new CommandError(
          `Command "trust" needs "id": the new key's ID as "key_changed" gave it (newId), ` +
            `so that trust goes to that key and no other`,
        );
      }
      return { cmd: "trust", name: text("name"), id: text("id") };
    case "send_file":
      return { cmd: "send_file", to: text("to"), path: text("path") };
    case "accept_file":
      return command.dir === undefined
        ? { cmd: "accept_file", id: text("id") }
        : { cmd: "accept_file", id: text("id"), dir: text("dir") };
    case "decline_file":
      return { cmd: "decline_file", id: text("id") };
    case "files":
      return { cmd: "files" };
    case "room_create":
      return { cmd: "room_create", name: text("name"), members: names(command, "members", 0) };
    case "room_invite":
      return { cmd: "room_invite", room: text("room"), members: names(command, "members", 1) };
    case "room_leave":
      return { cmd: "room_leave", room: text("room") };
    case "room_send":
      return { cmd: "room_send", room: text("room"), text: text("text") };
    case "rooms":
      return { cmd: "rooms" };
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

/** An array of at least `min` non-empty strings (absent means none, when none will do). */
function names(command: Record<string, unknown>, field: string, min: number): string[] {
  const value = command[field] ?? (min === 0 ? [] : undefined);
  if (
    !Array.isArray(value) || value.length < min ||
    value.some((v) => typeof v !== "string" || v === "")
  ) {
    const atLeast = min > 0 ? ` (at least ${min})` : "";
    throw new CommandError(
      `Command "${command.cmd}" needs "${field}" as an array of peer names${atLeast}`,
    );
  }
  return value as string[];
}

function historyLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_HISTORY_LIMIT) {
    throw new CommandError(`"limit" must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
  }
  return value as number;
}
