/**
 * The command line: picks the role from the first argument, parses its flags
 * (with `P2PCHAT_*` environment fallbacks) and runs it. Usage errors print
 * one precise line and a pointer to `--help`, and exit with status 2.
 *
 * `main.ts` uses {@linkcode runCli} from `run_cli.ts` directly, which loads each
 * role only when it runs; this face also offers the flag parsers.
 *
 * @module
 */

export { MAIN_USAGE, runCli } from "./run_cli.ts";
export { envName, parseFlags, UsageError } from "./flags.ts";
export { peerOptions } from "./peer_command.ts";
export { registryOptions } from "./registry_command.ts";
