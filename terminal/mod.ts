/**
 * The interactive terminal chat: slash commands in, lines for people out,
 * with incoming messages printed above the line being typed. It drives a
 * peer only through `peer/mod.ts`.
 *
 * @module
 */

export { TerminalInterface, type TerminalOptions } from "./terminal_interface.ts";
export { parseTerminalLine, TERMINAL_HELP, type TerminalInput } from "./terminal_commands.ts";
