/**
 * Picks the role from the first argument and runs it. Each role's code is
 * loaded only when that role runs, so starting a registry does not pay for
 * the terminal chat or the dashboard it was told not to serve.
 */

import { APP_VERSION } from "../protocol/mod.ts";
import { UsageError } from "./flags.ts";
import { printError, printLine } from "./process.ts";

/** Top-level `--help` text. */
export const MAIN_USAGE =
  `p2pchat ${APP_VERSION} — chat where peers talk directly, found through a registry

Usage:
  p2pchat registry [flags]         run the registry (see p2pchat registry --help)
  p2pchat peer --name NAME [flags] join the chat   (see p2pchat peer --help)
  p2pchat demo                     registry, dashboard and three chatting peers
  p2pchat --version`;

type Role = (args: string[]) => Promise<number>;

const ROLES: Record<string, () => Promise<Role>> = {
  registry: async () => (await import("./registry_command.ts")).runRegistry,
  peer: async () => (await import("./peer_command.ts")).runPeer,
  demo: async () => (await import("./demo_command.ts")).runDemoCommand,
};

/** Runs the command line `args` (without the program name); returns the exit status. */
export async function runCli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const load = name === undefined ? undefined : ROLES[name];
  const role = load ? await load() : undefined;
  try {
    if (role) return await role(rest);
    switch (name) {
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
        throw new UsageError("Missing role: registry, peer or demo");
      default:
        throw new UsageError(`Unknown role ${JSON.stringify(name)}: use registry, peer or demo`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // One line for the mistake, one for where to look: the usage would scroll the error away.
    printError(`error: ${error.message}\nrun with --help for the flags`);
    return 2;
  }
}
