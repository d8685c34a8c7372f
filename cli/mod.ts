/**
 * The command line: picks the role from the first argument, parses its flags
 * (with `P2PCHAT_*` environment fallbacks) and runs it. Usage errors print
 * one precise line and the usage, and exit with status 2.
 *
 * @module
 */

import { APP_VERSION } from "../protocol/mod.ts";
import { DEMO_USAGE, runDemoCommand } from "./demo_command.ts";
import { UsageError } from "./flags.ts";
import { PEER_USAGE, runPeer } from "./peer_command.ts";
import { printError, printLine } from "./process.ts";
import { REGISTRY_USAGE, runRegistry } from "./registry_command.ts";

export { envName, parseFlags, UsageError } from "./flags.ts";
export { peerOptions } from "./peer_command.ts";
export { registryOptions } from "./registry_command.ts";

/** Top-level `--help` text. */
export const MAIN_USAGE =
  `p2pchat ${APP_VERSION} — chat where peers talk directly, found through a registry

Usage:
  p2pchat registry [flags]         run the registry (see p2pchat registry --help)
  p2pchat peer --name NAME [flags] join the chat   (see p2pchat peer --help)
  p2pchat demo                     registry, dashboard and three chatting peers
  p2pchat --version`;

/**
 * Runs the command line `args` (without the program name) and returns the
 * exit status. `role` fixes the role for single-role executables.
 */
export async function runCli(args: string[]): Promise<number> {
  const [role, ...rest] = args;
  const usage = role === "registry"
    ? REGISTRY_USAGE
    : role === "peer"
    ? PEER_USAGE
    : role === "demo"
    ? DEMO_USAGE
    : MAIN_USAGE;
  try {
    switch (role) {
      case "registry":
        return await runRegistry(rest);
      case "peer":
        return await runPeer(rest);
      case "demo":
        return await runDemoCommand(rest);
      case "--version":
      case "version":
        printLine(`p2pchat ${APP_VERSION}`);
        return 0;
      case "--help":
      case "-h":
      case "help":
        printLine(MAIN_USAGE);
        return 0;
      case undefined:
        throw new UsageError("Missing role: registry or peer");
      default:
        throw new UsageError(`Unknown role ${JSON.stringify(role)}: use registry, peer or demo`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printError(`error: ${error.message}\n\n${usage}`);
    return 2;
  }
}
