/**
 * The `--json` interface for scripts, bots and tests: one command object per
 * line on stdin, one event object per line on stdout, nothing else on
 * stdout. It drives a peer only through `peer/mod.ts`.
 *
 * @module
 */

export { JsonInterface } from "./json_interface.ts";
export { parseJsonCommand } from "./json_commands.ts";
